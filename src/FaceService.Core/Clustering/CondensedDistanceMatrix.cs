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

    /// <summary>Squared L2 distances of every pair of vectors, rows filled in parallel.</summary>
    public static CondensedDistanceMatrix Compute(float[][] vectors, int? maxDegreeOfParallelism, CancellationToken cancellationToken)
    {
        var n = vectors.Length;
        if (vectors.Any(v => v.Length != vectors[0].Length)) throw new ArgumentException("Vectors differ in length.", nameof(vectors));
        var matrix = new CondensedDistanceMatrix(n);
        try
        {
            var parallel = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = maxDegreeOfParallelism ?? -1 };
            // Row i has n-1-i entries: pairing row r with row n-1-r gives every iteration the same n-1 pairs.
            Parallel.For(0, (n + 1) / 2, parallel, r =>
            {
                matrix.FillRow(r, vectors);
                if (n - 1 - r != r) matrix.FillRow(n - 1 - r, vectors);
            });
            return matrix;
        }
        catch
        {
            matrix.Dispose();
            throw;
        }
    }

    private void FillRow(int i, float[][] vectors)
    {
        var row = Row(i);
        var a = vectors[i];
        for (var k = 0; k < row.Length; k++) row[k] = EmbeddingMath.SquaredDistance(a, vectors[i + 1 + k]);
    }

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
