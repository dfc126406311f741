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
    private const int BandRows = 4;

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
        if (OperatingSystem.IsLinux() && bytes >= HugePageSize) AdviseHugePages(_data, bytes);
    }

    /// <summary>Number of points (n).</summary>
    public int Count { get; }

    /// <summary>Number of stored distances, n(n-1)/2.</summary>
    public long Length { get; }

    /// <summary>
    /// Squared L2 distances of every pair of unit vectors, as 2 − 2·a·b clamped to 0..4 (the quantizer's identity), bands
    /// of rows filled in parallel.
    /// </summary>
    public static CondensedDistanceMatrix Compute(float[][] unitVectors, int? maxDegreeOfParallelism, CancellationToken cancellationToken)
    {
        var (points, stride) = Pack(unitVectors);
        var matrix = new CondensedDistanceMatrix(unitVectors.Length);
        try
        {
            var parallel = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = maxDegreeOfParallelism ?? -1 };
            var bands = (unitVectors.Length + BandRows - 1) / BandRows;
            // Rows get shorter down the triangle: pairing band b with band (bands-1-b) evens out the work items.
            Parallel.For(0, (bands + 1) / 2, parallel, b =>
            {
                matrix.FillBand(b, points, stride);
                if (bands - 1 - b != b) matrix.FillBand(bands - 1 - b, points, stride);
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
    /// Rows 4b … 4b+3. Past the band's own columns the four rows go together: each load of a column's vector feeds four
    /// multiply-adds while the band's vectors stay in L1, a quarter of the memory traffic of one row at a time
    /// (measured: twice the speed of one row at a time, three times one <see cref="EmbeddingMath.SquaredDistance"/> call per pair).
    /// </summary>
    private void FillBand(int band, Vector<float>[] points, int stride)
    {
        var first = band * BandRows;
        var full = Count - first >= BandRows;
        var columnsOneByOne = full ? first + BandRows : Count;
        for (var i = first; i < Math.Min(first + BandRows, Count); i++)
        {
            var row = Row(i);
            for (var j = i + 1; j < columnsOneByOne; j++) row[j - i - 1] = Distance(points, i, j, stride);
        }
        if (!full) return;

        ref var a0 = ref points[first * stride];
        ref var a1 = ref Unsafe.Add(ref a0, stride);
        ref var a2 = ref Unsafe.Add(ref a1, stride);
        ref var a3 = ref Unsafe.Add(ref a2, stride);
        Span<float> row0 = Row(first), row1 = Row(first + 1), row2 = Row(first + 2), row3 = Row(first + 3);
        for (var j = first + BandRows; j < Count; j++)
        {
            ref var b = ref points[j * stride];
            Vector<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (var v = 0; v < stride; v++)
            {
                var y = Unsafe.Add(ref b, v);
                s0 = Vector.FusedMultiplyAdd(Unsafe.Add(ref a0, v), y, s0);
                s1 = Vector.FusedMultiplyAdd(Unsafe.Add(ref a1, v), y, s1);
                s2 = Vector.FusedMultiplyAdd(Unsafe.Add(ref a2, v), y, s2);
                s3 = Vector.FusedMultiplyAdd(Unsafe.Add(ref a3, v), y, s3);
            }
            var k = j - first - 1;
            row0[k] = FromDot(Vector.Sum(s0));
            row1[k - 1] = FromDot(Vector.Sum(s1));
            row2[k - 2] = FromDot(Vector.Sum(s2));
            row3[k - 3] = FromDot(Vector.Sum(s3));
        }
    }

    /// <summary>One pair, with the same order of operations as the banded loop.</summary>
    private static float Distance(Vector<float>[] points, int i, int j, int stride)
    {
        ref var a = ref points[i * stride];
        ref var b = ref points[j * stride];
        Vector<float> s = default;
        for (var v = 0; v < stride; v++) s = Vector.FusedMultiplyAdd(Unsafe.Add(ref a, v), Unsafe.Add(ref b, v), s);
        return FromDot(Vector.Sum(s));
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

    /// <summary>A hint only: transparent huge pages may be off, or the C library not found under this name.</summary>
    private static void AdviseHugePages(void* address, nuint length)
    {
        try
        {
            _ = madvise(address, length, MadviseHugePage);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    [DllImport("libc", EntryPoint = "madvise")]
    private static extern int madvise(void* address, nuint length, int advice);
}
