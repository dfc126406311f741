using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FaceService.Core.Clustering;

/// <summary>
/// The k nearest neighbours of every face among all the others, by squared L2 between unit vectors, without a distance
/// matrix. Up to <see cref="ExactLimit"/> faces every pair is compared (exact); beyond, an inverted file: the faces are
/// split among about 2·√n centroids (spherical k-means on a sample), and each face is compared with the faces of its
/// <see cref="Probes"/> nearest centroids' lists — the near neighbours clustering needs sit there (measured against the
/// exact graph in docs/CLUSTERING.md). Memory: the vectors twice (once as given, once regrouped by sixteen for the SIMD
/// kernel) and k neighbours per face.
/// <para>The kernel keeps sixteen candidates' values of one dimension in one 512-bit register and four queries'
/// broadcast values beside it: one load feeds four fused multiply-adds and no horizontal sums are needed.</para>
/// </summary>
public sealed class NeighbourGraph
{
    /// <summary>Faces up to which every pair is compared (100,000 take about 20 s on two cores).</summary>
    public const int ExactLimit = 150_000;

    /// <summary>Centroid lists each face is compared through, beyond <see cref="ExactLimit"/>.</summary>
    public const int Probes = 24;

    private const int Lanes = 16;
    private const int QueryTile = 1024;
    private const int CandidateTile = 1024;
    private const int KMeansIterations = 8;
    private const int KMeansSamplePerCentroid = 40;

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

    /// <summary>Face i's neighbours at [i·K, i·K + K), nearest first (ties by index); −1 where fewer were found.</summary>
    public int[] Neighbours { get; }

    /// <summary>Their squared distances, in the same places.</summary>
    public float[] Distances { get; }

    public ReadOnlySpan<int> NeighboursOf(int face) => Neighbours.AsSpan(face * K, K);

    public ReadOnlySpan<float> DistancesOf(int face) => Distances.AsSpan(face * K, K);

    /// <param name="vectors">Unit vectors, <paramref name="dimensions"/> floats each, one after another.</param>
    /// <param name="exactLimit">Faces up to which every pair is compared (<see cref="ExactLimit"/>; int.MaxValue: always).</param>
    public static NeighbourGraph Build(float[] vectors, int dimensions, int k, int? maxDegreeOfParallelism, CancellationToken cancellationToken,
        int exactLimit = ExactLimit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (dimensions < 1 || vectors.Length % dimensions != 0) throw new ArgumentException("The vectors do not divide into the dimensions.", nameof(vectors));
        var n = vectors.Length / dimensions;
        k = Math.Max(1, Math.Min(k, n - 1));
        var parallel = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = maxDegreeOfParallelism ?? -1 };
        var space = new Space(vectors, dimensions, parallel);
        int[] neighbours;
        float[] dots;
        if (n < 2)
        {
            (neighbours, dots) = (new int[n * k], new float[n * k]);
            Array.Fill(neighbours, -1);
        }
        else if (n <= exactLimit)
        {
            var all = new BlockedSet(space, [Enumerable.Range(0, n).ToArray()]);
            (neighbours, dots) = space.Nearest(Enumerable.Range(0, n).ToArray(), all, OneSegment, k, excludeSelf: true);
        }
        else
        {
            (neighbours, dots) = InvertedFile(space, n, k, cancellationToken);
        }
        var distances = new float[dots.Length];
        for (var i = 0; i < dots.Length; i++) distances[i] = neighbours[i] < 0 ? float.PositiveInfinity : Math.Clamp(2 - 2 * dots[i], 0f, 4f);
        return new NeighbourGraph(n, k, neighbours, distances);
    }

    /// <summary>Centroids from a sample, every face's nearest centroids, then each face against its lists' faces.</summary>
    private static (int[] Neighbours, float[] Dots) InvertedFile(Space space, int n, int k, CancellationToken cancellationToken)
    {
        var lists = Math.Clamp((int)(2 * Math.Sqrt(n)), 64, 8192);
        var random = new Random(1);
        var sample = Enumerable.Range(0, n).OrderBy(_ => random.Next()).Take(Math.Min(n, lists * KMeansSamplePerCentroid)).ToArray();
        var centroids = space.Subset(sample.Take(lists).ToArray());
        for (var iteration = 0; iteration < KMeansIterations; iteration++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (nearest, _) = space.Nearest(sample, new BlockedSet(centroids, [Enumerable.Range(0, lists).ToArray()]), OneSegment, 1, excludeSelf: false);
            centroids = space.Means(sample, nearest, lists, centroids);
        }
        var probes = Math.Min(Probes, lists);
        var (probed, _) = space.Nearest(Enumerable.Range(0, n).ToArray(), new BlockedSet(centroids, [Enumerable.Range(0, lists).ToArray()]), OneSegment, probes,
            excludeSelf: false);
        var members = Enumerable.Range(0, lists).Select(_ => new List<int>()).ToArray();
        for (var i = 0; i < n; i++) members[probed[i * probes]].Add(i);
        var blocked = new BlockedSet(space, members.Select(m => m.ToArray()).ToArray());
        // Faces of one list side by side, so that the four of a query group mostly share their lists.
        var order = Enumerable.Range(0, n).OrderBy(i => probed[i * probes]).ToArray();
        return space.Nearest(order, blocked, face => new ArraySegment<int>(probed, face * probes, probes), k, excludeSelf: true);
    }

    private static readonly int[] FirstSegment = [0];

    /// <summary>Every query against the one segment of a set.</summary>
    private static ArraySegment<int> OneSegment(int face) => FirstSegment;

    /// <summary>The vectors, and searches among them.</summary>
    private sealed class Space(float[] vectors, int dimensions, ParallelOptions parallel)
    {
        public float[] Vectors => vectors;

        public int Dimensions => dimensions;

        public Space Subset(int[] faces)
        {
            var subset = new float[faces.Length * dimensions];
            for (var i = 0; i < faces.Length; i++) vectors.AsSpan(faces[i] * dimensions, dimensions).CopyTo(subset.AsSpan(i * dimensions));
            return new Space(subset, dimensions, parallel);
        }

        /// <summary>Spherical k-means' update: each centroid the normalised mean of its faces; an empty one stays.</summary>
        public Space Means(int[] faces, int[] nearest, int count, Space previous)
        {
            var sums = new float[count * dimensions];
            for (var i = 0; i < faces.Length; i++)
                System.Numerics.Tensors.TensorPrimitives.Add(sums.AsSpan(nearest[i] * dimensions, dimensions), vectors.AsSpan(faces[i] * dimensions, dimensions),
                    sums.AsSpan(nearest[i] * dimensions, dimensions));
            for (var c = 0; c < count; c++)
            {
                var sum = sums.AsSpan(c * dimensions, dimensions);
                var norm = System.Numerics.Tensors.TensorPrimitives.Norm<float>(sum);
                if (norm > 0) System.Numerics.Tensors.TensorPrimitives.Divide(sum, norm, sum);
                else previous.Vectors.AsSpan(c * dimensions, dimensions).CopyTo(sum);
            }
            return new Space(sums, dimensions, parallel);
        }

        /// <summary>
        /// For each query face (in the order given: groups of four consecutive queries share their scans), its m best
        /// candidates by dot product among the segments <paramref name="segments"/> names for it (for a group: the
        /// segments of all four).
        /// </summary>
        public (int[] Indices, float[] Dots) Nearest(int[] queries, BlockedSet candidates, Func<int, ArraySegment<int>> segments, int m, bool excludeSelf)
        {
            var indices = new int[vectors.Length / dimensions * m];
            var dots = new float[indices.Length];
            var tiles = (queries.Length + QueryTile - 1) / QueryTile;
            Parallel.For(0, tiles, parallel, tile =>
            {
                var first = tile * QueryTile;
                var last = Math.Min(queries.Length, first + QueryTile);
                var heaps = new TopK[last - first];
                for (var q = 0; q < heaps.Length; q++) heaps[q] = new TopK(m);
                var buffer = new float[4 * Lanes * (CandidateTile / Lanes + 1)];
                var group = new int[4];
                if (candidates.SegmentCount == 1)
                {
                    // One segment for every query: a tile of candidates meets all the tile's queries while it is in cache.
                    var (start, end) = candidates.Segment(0);
                    for (var from = start; from < end; from += CandidateTile / Lanes)
                    {
                        parallel.CancellationToken.ThrowIfCancellationRequested();
                        var to = Math.Min(end, from + CandidateTile / Lanes);
                        for (var q = first; q < last; q += 4) Compare(q, from, to);
                    }
                }
                else
                {
                    var scanned = new HashSet<int>();
                    for (var q = first; q < last; q += 4)
                    {
                        parallel.CancellationToken.ThrowIfCancellationRequested();
                        scanned.Clear();
                        for (var g = 0; g < Math.Min(4, last - q); g++)
                            foreach (var segment in segments(queries[q + g]))
                            {
                                if (!scanned.Add(segment)) continue;
                                var (start, end) = candidates.Segment(segment);
                                for (var from = start; from < end; from += CandidateTile / Lanes) Compare(q, from, Math.Min(end, from + CandidateTile / Lanes));
                            }
                    }
                }

                void Compare(int q, int from, int to)
                {
                    var size = Math.Min(4, last - q);
                    for (var g = 0; g < 4; g++) group[g] = queries[q + Math.Min(g, size - 1)];
                    Dots(group, candidates.Values, from, to, buffer);
                    Offer(buffer, candidates.Ids, from, to, group, size, heaps, q - first, excludeSelf);
                }

                for (var q = first; q < last; q++) heaps[q - first].CopySorted(indices.AsSpan(queries[q] * m, m), dots.AsSpan(queries[q] * m, m));
            });
            return (indices, dots);
        }

        /// <summary>buffer[(b·4 + q)·16 + lane]: query q's dot product with lane of block from + b. Calls nothing: a call
        /// inside its loop made the JIT keep the four sums in memory (four times slower).</summary>
        private void Dots(int[] group, float[] blocked, int from, int to, float[] buffer)
        {
            ref var q0 = ref vectors[group[0] * dimensions];
            ref var q1 = ref vectors[group[1] * dimensions];
            ref var q2 = ref vectors[group[2] * dimensions];
            ref var q3 = ref vectors[group[3] * dimensions];
            ref var output = ref buffer[0];
            for (var b = from; b < to; b++)
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
                var at = (nuint)((b - from) * 4 * Lanes);
                s0.StoreUnsafe(ref output, at);
                s1.StoreUnsafe(ref output, at + Lanes);
                s2.StoreUnsafe(ref output, at + 2 * Lanes);
                s3.StoreUnsafe(ref output, at + 3 * Lanes);
            }
        }

        private static void Offer(float[] buffer, int[] ids, int from, int to, int[] group, int size, TopK[] heaps, int heapBase, bool excludeSelf)
        {
            for (var q = 0; q < size; q++)
            {
                var heap = heaps[heapBase + q];
                for (var b = 0; b < to - from; b++)
                {
                    var sixteen = buffer.AsSpan((b * 4 + q) * Lanes, Lanes);
                    if (!Vector512.GreaterThanAny(Vector512.Create(sixteen), Vector512.Create(heap.Worst))) continue;
                    for (var lane = 0; lane < Lanes; lane++)
                    {
                        var id = ids[(from + b) * Lanes + lane];
                        if (id >= 0 && !(excludeSelf && id == group[q])) heap.Offer(sixteen[lane], id);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Faces regrouped for the kernel, segment by segment, each padded to whole blocks of sixteen:
    /// Values[(b·dimensions + d)·16 + lane] is dimension d of the lane-th face of block b, Ids[b·16 + lane] its index
    /// (−1 for padding, whose values are zeros).
    /// </summary>
    private sealed class BlockedSet
    {
        private readonly int[] _segmentStart;

        public BlockedSet(Space space, int[][] segments)
        {
            var dimensions = space.Dimensions;
            _segmentStart = new int[segments.Length + 1];
            for (var s = 0; s < segments.Length; s++) _segmentStart[s + 1] = _segmentStart[s] + (segments[s].Length + Lanes - 1) / Lanes;
            var blocks = _segmentStart[^1];
            Values = new float[blocks * dimensions * Lanes];
            Ids = new int[blocks * Lanes];
            Array.Fill(Ids, -1);
            for (var s = 0; s < segments.Length; s++)
                for (var j = 0; j < segments[s].Length; j++)
                {
                    var (block, lane) = (_segmentStart[s] + j / Lanes, j % Lanes);
                    var face = segments[s][j];
                    Ids[block * Lanes + lane] = face;
                    for (var d = 0; d < dimensions; d++) Values[(block * dimensions + d) * Lanes + lane] = space.Vectors[face * dimensions + d];
                }
        }

        public float[] Values { get; }

        public int[] Ids { get; }

        public int SegmentCount => _segmentStart.Length - 1;

        /// <summary>The blocks [start, end) of a segment.</summary>
        public (int Start, int End) Segment(int segment) => (_segmentStart[segment], _segmentStart[segment + 1]);
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
