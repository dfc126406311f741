using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FaceService.Core.Clustering;

/// <summary>
/// The k nearest neighbours of every face among all the others, by squared L2 between unit vectors, exact: every
/// pair is compared, without a distance matrix. Memory: the vectors twice (once as given, once regrouped by sixteen
/// for the SIMD kernel) and k neighbours per face.
/// <para>The kernel keeps sixteen candidates' values of one dimension in one 512-bit register and four queries'
/// broadcast values beside it: one load feeds four fused multiply-adds and no horizontal sums are needed. Queries and
/// candidates are tiled so that both tiles stay in the core's L2 cache while they meet.</para>
/// </summary>
public sealed class NeighbourGraph
{
    private const int Lanes = 16;
    private const int QueryTile = 1024;
    private const int CandidateTile = 1024;

    private NeighbourGraph(int count, int k, int[] neighbours, float[] distances)
    {
        Count = count;
        K = k;
        Neighbours = neighbours;
        Distances = distances;
    }

    public int Count { get; }

    /// <summary>Neighbours per face (fewer faces than k + 1: all the others).</summary>
    public int K { get; }

    /// <summary>Face i's neighbours at [i·K, i·K + K), nearest first (ties by index).</summary>
    public int[] Neighbours { get; }

    /// <summary>Their squared distances, in the same places.</summary>
    public float[] Distances { get; }

    public ReadOnlySpan<int> NeighboursOf(int face) => Neighbours.AsSpan(face * K, K);

    public ReadOnlySpan<float> DistancesOf(int face) => Distances.AsSpan(face * K, K);

    /// <param name="vectors">Unit vectors, <paramref name="dimensions"/> floats each, one after another.</param>
    public static NeighbourGraph Build(float[] vectors, int dimensions, int k, int? maxDegreeOfParallelism, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (dimensions < 1 || vectors.Length % dimensions != 0) throw new ArgumentException("The vectors do not divide into the dimensions.", nameof(vectors));
        var n = vectors.Length / dimensions;
        k = Math.Max(1, Math.Min(k, n - 1));
        var blocks = (n + Lanes - 1) / Lanes;
        // Sixteen faces' values of each dimension together: blocked[(b·dimensions + d)·16 + lane] = vectors[(16b + lane)·dimensions + d].
        // Lanes past the last face hold zeros: a dot of 0 is a distance of 2, and they are skipped anyway.
        var blocked = new float[blocks * dimensions * Lanes];
        for (var i = 0; i < n; i++)
            for (var d = 0; d < dimensions; d++)
                blocked[((i / Lanes) * dimensions + d) * Lanes + i % Lanes] = vectors[i * dimensions + d];

        var neighbours = new int[n * k];
        var dots = new float[n * k];
        var queryTiles = (n + QueryTile - 1) / QueryTile;
        var parallel = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = maxDegreeOfParallelism ?? -1 };
        if (n > 1)
            Parallel.For(0, queryTiles, parallel, tile =>
            {
                var first = tile * QueryTile;
                var last = Math.Min(n, first + QueryTile);
                var heaps = new TopK[last - first];
                for (var q = 0; q < heaps.Length; q++) heaps[q] = new TopK(k);
                for (var candidates = 0; candidates < n; candidates += CandidateTile)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var end = Math.Min(n, candidates + CandidateTile);
                    for (var q = first; q < last; q += 4)
                        CompareTile(vectors, blocked, dimensions, n, q, Math.Min(4, last - q), candidates / Lanes, (end + Lanes - 1) / Lanes, heaps, first);
                }
                for (var q = first; q < last; q++) heaps[q - first].CopySorted(neighbours.AsSpan(q * k, k), dots.AsSpan(q * k, k));
            });
        var distances = new float[dots.Length];
        for (var i = 0; i < dots.Length; i++) distances[i] = Math.Clamp(2 - 2 * dots[i], 0f, 4f);
        return new NeighbourGraph(n, k, neighbours, distances);
    }

    /// <summary>Up to four queries (from <paramref name="query"/>) against candidate blocks [firstBlock, endBlock).</summary>
    private static void CompareTile(float[] vectors, float[] blocked, int dimensions, int n, int query, int queries, int firstBlock, int endBlock,
        TopK[] heaps, int heapBase)
    {
        ref var q0 = ref vectors[query * dimensions];
        ref var q1 = ref Unsafe.Add(ref q0, queries > 1 ? dimensions : 0);
        ref var q2 = ref Unsafe.Add(ref q0, queries > 2 ? 2 * dimensions : 0);
        ref var q3 = ref Unsafe.Add(ref q0, queries > 3 ? 3 * dimensions : 0);
        Span<float> lanes = stackalloc float[Lanes];
        for (var b = firstBlock; b < endBlock; b++)
        {
            ref var c = ref blocked[b * dimensions * Lanes];
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (var d = 0; d < dimensions; d++)
            {
                var column = Vector512.LoadUnsafe(ref c, (nuint)(d * Lanes));
                s0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q0, d)), column, s0);
                s1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q1, d)), column, s1);
                s2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q2, d)), column, s2);
                s3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q3, d)), column, s3);
            }
            var candidate = b * Lanes;
            Offer(heaps[query - heapBase], s0, query, candidate, n, lanes);
            if (queries > 1) Offer(heaps[query + 1 - heapBase], s1, query + 1, candidate, n, lanes);
            if (queries > 2) Offer(heaps[query + 2 - heapBase], s2, query + 2, candidate, n, lanes);
            if (queries > 3) Offer(heaps[query + 3 - heapBase], s3, query + 3, candidate, n, lanes);
        }
    }

    /// <summary>Sixteen dot products of one query: those above its k-th best so far go into its heap.</summary>
    private static void Offer(TopK heap, Vector512<float> dots, int query, int candidate, int n, Span<float> lanes)
    {
        if (Vector512.GreaterThanAny(dots, Vector512.Create(heap.Worst)) is false) return;
        dots.CopyTo(lanes);
        for (var lane = 0; lane < Lanes; lane++)
        {
            var index = candidate + lane;
            if (index >= n || index == query) continue;
            heap.Offer(lanes[lane], index);
        }
    }

    /// <summary>The k largest dot products so far (a min-heap: the k-th best at the root); ties to the smaller index.</summary>
    private sealed class TopK(int k)
    {
        private readonly float[] _dots = new float[k];
        private readonly int[] _indices = new int[k];
        private int _count;

        /// <summary>The dot a candidate must beat: −∞ until k are held.</summary>
        public float Worst => _count < k ? float.NegativeInfinity : _dots[0];

        public void Offer(float dot, int index)
        {
            if (_count < k)
            {
                _dots[_count] = dot;
                _indices[_count] = index;
                SiftUp(_count++);
                return;
            }
            if (!Better(dot, index, _dots[0], _indices[0])) return;
            _dots[0] = dot;
            _indices[0] = index;
            SiftDown(0);
        }

        /// <summary>Best first; slots beyond the held count get −1 and −∞.</summary>
        public void CopySorted(Span<int> indices, Span<float> dots)
        {
            var order = Enumerable.Range(0, _count).ToArray();
            Array.Sort(order, (a, b) => Better(_dots[a], _indices[a], _dots[b], _indices[b]) ? -1 : Better(_dots[b], _indices[b], _dots[a], _indices[a]) ? 1 : 0);
            for (var i = 0; i < indices.Length; i++)
            {
                indices[i] = i < _count ? _indices[order[i]] : -1;
                dots[i] = i < _count ? _dots[order[i]] : float.NegativeInfinity;
            }
        }

        private static bool Better(float dot, int index, float otherDot, int otherIndex) => dot > otherDot || (dot == otherDot && index < otherIndex);

        private void SiftUp(int i)
        {
            while (i > 0)
            {
                var parent = (i - 1) / 2;
                if (!Better(_dots[parent], _indices[parent], _dots[i], _indices[i])) return;
                Swap(i, parent);
                i = parent;
            }
        }

        private void SiftDown(int i)
        {
            while (true)
            {
                int left = 2 * i + 1, right = left + 1, worst = i;
                if (left < _count && Better(_dots[worst], _indices[worst], _dots[left], _indices[left])) worst = left;
                if (right < _count && Better(_dots[worst], _indices[worst], _dots[right], _indices[right])) worst = right;
                if (worst == i) return;
                Swap(i, worst);
                i = worst;
            }
        }

        private void Swap(int a, int b)
        {
            (_dots[a], _dots[b]) = (_dots[b], _dots[a]);
            (_indices[a], _indices[b]) = (_indices[b], _indices[a]);
        }
    }
}
