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
    private float* _data;

    public CondensedDistanceMatrix(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Count = count;
        Length = (long)count * (count - 1) / 2;
        if (Length > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(count), count, "Too many points for one distance matrix.");
        _data = (float*)NativeMemory.Alloc((nuint)Math.Max(Length, 1), sizeof(float));
    }

    /// <summary>Number of points (n).</summary>
    public int Count { get; }

    /// <summary>Number of stored distances, n(n-1)/2.</summary>
    public long Length { get; }

    public long SizeInBytes => Length * sizeof(float);

    /// <summary>Squared L2 distances of every pair of codes, rows filled in parallel.</summary>
    public static CondensedDistanceMatrix Compute(
        IReadOnlyList<sbyte[]> codes, IEmbeddingQuantizer quantizer, int? maxDegreeOfParallelism, CancellationToken cancellationToken)
    {
        var points = codes.ToArray();
        var matrix = new CondensedDistanceMatrix(points.Length);
        try
        {
            var n = points.Length;
            var parallel = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = maxDegreeOfParallelism ?? -1 };
            // Row i has n-1-i entries: pairing row r with row n-1-r gives every iteration the same n-1 pairs.
            Parallel.For(0, (n + 1) / 2, parallel, r =>
            {
                matrix.FillRow(r, points, quantizer);
                if (n - 1 - r != r) matrix.FillRow(n - 1 - r, points, quantizer);
            });
            return matrix;
        }
        catch
        {
            matrix.Dispose();
            throw;
        }
    }

    private void FillRow(int i, sbyte[][] points, IEmbeddingQuantizer quantizer)
    {
        var row = Row(i);
        var a = points[i];
        for (var k = 0; k < row.Length; k++) row[k] = quantizer.SquaredDistance(a, points[i + 1 + k]);
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
        NativeMemory.Free(_data);
        _data = null;
    }
}
