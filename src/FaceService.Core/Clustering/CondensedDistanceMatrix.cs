using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FaceService.Core.Embeddings;

namespace FaceService.Core.Clustering;

/// <summary>
/// The upper triangle of a symmetric n×n distance matrix without its diagonal, row by row: n(n-1)/2 floats.
/// Row i holds d(i, j) for j = i+1 … n-1 contiguously. Lives in native memory so that its hundreds of
/// megabytes go back to the OS when the request ends instead of waiting for a gen-2 collection.
/// </summary>
internal sealed unsafe class CondensedDistanceMatrix : IDisposable
{
    private const nuint HugePageSize = 2 * 1024 * 1024;
    private const int MadviseHugePage = 14;

    private float* _data;

    public CondensedDistanceMatrix(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Count = count;
        Length = (long)count * (count - 1) / 2;
        if (Length > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(count), count, "Too many points for one distance matrix.");
        var bytes = (nuint)Math.Max(Length, 1) * sizeof(float);
        _data = (float*)NativeMemory.AlignedAlloc(bytes, HugePageSize);
        // Walking a column jumps a row per step: with 4 KiB pages nearly every step misses the TLB (measured: the chain
        // takes about twice as long without huge pages).
        if (OperatingSystem.IsLinux() && bytes >= HugePageSize) _ = madvise(_data, bytes, MadviseHugePage);
    }

    /// <summary>Number of points (n).</summary>
    public int Count { get; }

    /// <summary>Number of stored distances, n(n-1)/2.</summary>
    public long Length { get; }

    /// <summary>
    /// Squared L2 distances of every pair of unit vectors, as 2 − 2·a·b clamped to 0..4 (the quantizer's identity), rows
    /// filled in parallel.
    /// </summary>
    public static CondensedDistanceMatrix Compute(float[][] unitVectors, int? maxDegreeOfParallelism, CancellationToken cancellationToken)
    {
        var n = unitVectors.Length;
        var (points, stride) = Pack(unitVectors);
        var matrix = new CondensedDistanceMatrix(n);
        try
        {
            var parallel = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = maxDegreeOfParallelism ?? -1 };
            // Row i has n-1-i entries: pairing row r with row n-1-r gives every iteration the same n-1 pairs.
            Parallel.For(0, (n + 1) / 2, parallel, r =>
            {
                matrix.FillRow(r, points, stride);
                if (n - 1 - r != r) matrix.FillRow(n - 1 - r, points, stride);
            });
            return matrix;
        }
        catch
        {
            matrix.Dispose();
            throw;
        }
    }

    /// <summary>All vectors in one block, each zero-padded to whole SIMD vectors; stride = SIMD vectors per point.</summary>
    private static (Vector<float>[] Points, int Stride) Pack(float[][] vectors)
    {
        var dimensions = vectors.Length > 0 ? vectors[0].Length : 0;
        var stride = (dimensions + Vector<float>.Count - 1) / Vector<float>.Count;
        var points = new Vector<float>[vectors.Length * stride];
        var flat = MemoryMarshal.Cast<Vector<float>, float>(points.AsSpan());
        for (var i = 0; i < vectors.Length; i++)
        {
            if (vectors[i].Length != dimensions) throw new ArgumentException("Vectors differ in length.", nameof(vectors));
            vectors[i].CopyTo(flat[(i * stride * Vector<float>.Count)..]);
        }
        return (points, stride);
    }

    /// <summary>
    /// Row i by dot products, four columns at a time so each load of point i feeds four multiply-adds: about eight
    /// times the speed of one <see cref="EmbeddingMath.SquaredDistance"/> call per pair.
    /// </summary>
    private void FillRow(int i, Vector<float>[] points, int stride)
    {
        var row = Row(i);
        ref var a = ref points[i * stride];
        var k = 0;
        for (; k + 4 <= row.Length; k += 4)
        {
            ref var b0 = ref points[(i + 1 + k) * stride];
            ref var b1 = ref Unsafe.Add(ref b0, stride);
            ref var b2 = ref Unsafe.Add(ref b1, stride);
            ref var b3 = ref Unsafe.Add(ref b2, stride);
            Vector<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (var v = 0; v < stride; v++)
            {
                var x = Unsafe.Add(ref a, v);
                s0 = Vector.FusedMultiplyAdd(x, Unsafe.Add(ref b0, v), s0);
                s1 = Vector.FusedMultiplyAdd(x, Unsafe.Add(ref b1, v), s1);
                s2 = Vector.FusedMultiplyAdd(x, Unsafe.Add(ref b2, v), s2);
                s3 = Vector.FusedMultiplyAdd(x, Unsafe.Add(ref b3, v), s3);
            }
            row[k] = FromDot(Vector.Sum(s0));
            row[k + 1] = FromDot(Vector.Sum(s1));
            row[k + 2] = FromDot(Vector.Sum(s2));
            row[k + 3] = FromDot(Vector.Sum(s3));
        }
        for (; k < row.Length; k++)
        {
            ref var b = ref points[(i + 1 + k) * stride];
            Vector<float> s = default;
            for (var v = 0; v < stride; v++) s = Vector.FusedMultiplyAdd(Unsafe.Add(ref a, v), Unsafe.Add(ref b, v), s);
            row[k] = FromDot(Vector.Sum(s));
        }
    }

    private static float FromDot(float dot) => Math.Clamp(2f - 2f * dot, 0f, 4f);

    /// <summary>Offset of d(i, i+1): the rows before i hold (n-1) + (n-2) + … + (n-i) entries.</summary>
    public long RowStart(int i) => (long)i * (2L * Count - i - 1) / 2;

    /// <summary>d(i, j) for j = i+1 … n-1.</summary>
    public Span<float> Row(int i) => new(Pointer + RowStart(i), Count - 1 - i);

    /// <summary>d(i, j) = d(j, i) for i ≠ j.</summary>
    public ref float this[int i, int j]
    {
        get
        {
            if (i == j || (uint)i >= (uint)Count || (uint)j >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(j));
            return ref i < j ? ref Pointer[RowStart(i) + j - i - 1] : ref Pointer[RowStart(j) + i - j - 1];
        }
    }

    /// <summary>Start of the storage, for the loops of <see cref="NearestNeighborChain"/> that walk a column.</summary>
    internal float* Pointer => _data != null ? _data : throw new ObjectDisposedException(nameof(CondensedDistanceMatrix));

    public void Dispose()
    {
        NativeMemory.AlignedFree(_data);
        _data = null;
    }

    /// <summary>A hint only (transparent huge pages may be off), so the result is ignored.</summary>
    [DllImport("libc", EntryPoint = "madvise")]
    private static extern int madvise(void* address, nuint length, int advice);
}
