using System.Numerics.Tensors;

namespace FaceService.Core.Clustering;

/// <summary>One step of the dendrogram: the clusters holding points First and Second join at Height.</summary>
internal readonly record struct Merge(int First, int Second, float Height);

/// <summary>
/// Exact agglomerative clustering by the nearest-neighbour chain (Murtagh 1983; Müllner 2011, "Modern hierarchical,
/// agglomerative clustering algorithms", fig. 4): follow nearest neighbours until two clusters are each other's nearest,
/// merge them, update distances with the Lance–Williams formula, continue from the rest of the chain. Valid for linkages
/// with the reducibility property (single, complete, average), where it yields the same dendrogram as merging the
/// globally closest pair each step, in O(n²) time and no memory beyond the matrix.
/// </summary>
internal static unsafe class NearestNeighborChain
{
    /// <summary>
    /// The merges at or below <paramref name="threshold"/> (all n-1 for +∞), in the order the chain found them, which is
    /// not sorted by height. Overwrites the matrix.
    /// </summary>
    public static List<Merge> Run(CondensedDistanceMatrix distances, Linkage linkage, float threshold, CancellationToken cancellationToken) => linkage switch
    {
        Linkage.Average => Run<AverageRule>(distances, threshold, cancellationToken),
        Linkage.Complete => Run<CompleteRule>(distances, threshold, cancellationToken),
        Linkage.Single => Run<SingleRule>(distances, threshold, cancellationToken),
        _ => throw new ArgumentOutOfRangeException(nameof(linkage), linkage, "Unknown linkage."),
    };

    private static List<Merge> Run<TRule>(CondensedDistanceMatrix distances, float threshold, CancellationToken cancellationToken)
        where TRule : ILinkageRule
    {
        var merges = new List<Merge>();
        var clusters = new LiveClusters(distances);
        var height = new float[distances.Count];
        var chain = new int[distances.Count];
        var chainLength = 0;
        while (clusters.Count > 1)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (chainLength == 0) chain[chainLength++] = clusters.First;
            var a = chain[chainLength - 1];
            var (b, h) = clusters.Nearest(a);
            if (h > threshold)
            {
                // Distances along the chain never increase, so every cluster on it has its nearest neighbour beyond the
                // threshold, and by reducibility every cluster it could ever meet is as far: none of them merges again
                // below the cut. Retiring them skips the top of the dendrogram, which the cut would throw away.
                for (var i = 0; i < chainLength; i++) clusters.Retire(chain[i]);
                chainLength = 0;
                continue;
            }
            // Prefer the previous chain element on a tie: the chain then never cycles and ends in a reciprocal pair.
            if (chainLength < 2 || distances[a, chain[chainLength - 2]] > h)
            {
                chain[chainLength++] = b;
                continue;
            }
            b = chain[chainLength - 2];
            chainLength -= 2;
            // Heights of a reducible linkage never decrease towards the root; rounding in the average update could break
            // that by an ulp, and the threshold cut relies on it.
            h = MathF.Max(h, MathF.Max(height[a], height[b]));
            merges.Add(new Merge(a, b, h));
            int survivor = Math.Min(a, b), removed = Math.Max(a, b);
            height[survivor] = h;
            clusters.Merge<TRule>(survivor, removed);
        }
        return merges;
    }

    /// <summary>
    /// The clusters still in play and their distances. A cluster lives in the slot of its smallest member. Slots that
    /// left (merged away or retired) leave the sorted live list, so column walks visit only live rows; in the rows of
    /// live slots their entries are +∞, so row scans pass over them. Entries of rows that left are never read again.
    /// </summary>
    private sealed class LiveClusters
    {
        private readonly CondensedDistanceMatrix _distances;
        private readonly float* _data;
        // d(k, j) for k < j is _data[_rowBase[k] + j].
        private readonly long[] _rowBase;
        private readonly int[] _size;
        private readonly int[] _live;

        public LiveClusters(CondensedDistanceMatrix distances)
        {
            var n = distances.Count;
            _distances = distances;
            _data = distances.Pointer;
            _rowBase = new long[n];
            _size = new int[n];
            _live = new int[n];
            for (var k = 0; k < n; k++)
            {
                _rowBase[k] = distances.RowStart(k) - k - 1;
                _size[k] = 1;
                _live[k] = k;
            }
            Count = n;
        }

        public int Count { get; private set; }

        public int First => _live[0];

        /// <summary>The nearest live cluster to a; the smallest slot wins a tie.</summary>
        public (int Slot, float Distance) Nearest(int a)
        {
            var best = float.PositiveInfinity;
            var slot = -1;
            // Live k < a: d(k, a) in column a, one live row after another.
            for (var i = 0; i < Count; i++)
            {
                var k = _live[i];
                if (k >= a) break;
                var d = _data[_rowBase[k] + a];
                if (d < best)
                {
                    best = d;
                    slot = k;
                }
            }
            var row = _distances.Row(a);
            if (row.Length > 0)
            {
                var j = TensorPrimitives.IndexOfMin<float>(row);
                if (row[j] < best)
                {
                    best = row[j];
                    slot = a + 1 + j;
                }
            }
            return (slot, best);
        }

        /// <summary>Takes a cluster out of play for good.</summary>
        public void Retire(int slot)
        {
            for (var i = 0; i < Count; i++)
            {
                var k = _live[i];
                if (k >= slot) break;
                _data[_rowBase[k] + slot] = float.PositiveInfinity;
            }
            Leave(slot);
        }

        /// <summary>Lance–Williams update of d(survivor ∪ removed, k) into the survivor's slot; the removed slot leaves.</summary>
        public void Merge<TRule>(int survivor, int removed)
            where TRule : ILinkageRule
        {
            var total = (float)(_size[survivor] + _size[removed]);
            float ws = _size[survivor] / total, wr = _size[removed] / total;
            _size[survivor] += _size[removed];

            var survivorRow = _distances.Row(survivor);
            for (var i = 0; i < Count; i++)
            {
                var k = _live[i];
                if (k >= removed) break;
                if (k == survivor) continue;
                ref var toRemoved = ref _data[_rowBase[k] + removed];
                // k < survivor: both in columns; survivor < k < removed: the survivor's row, the removed slot's column.
                ref var toSurvivor = ref k < survivor ? ref _data[_rowBase[k] + survivor] : ref survivorRow[k - survivor - 1];
                toSurvivor = TRule.Combine(toSurvivor, toRemoved, ws, wr);
                toRemoved = float.PositiveInfinity;
            }
            survivorRow[removed - survivor - 1] = float.PositiveInfinity;
            // k > removed: both rows, contiguous; entries of slots that left are +∞ in both and stay so.
            var removedRow = _distances.Row(removed);
            var tail = survivorRow[(removed - survivor)..];
            for (var j = 0; j < removedRow.Length; j++) tail[j] = TRule.Combine(tail[j], removedRow[j], ws, wr);
            Leave(removed);
        }

        private void Leave(int slot)
        {
            _size[slot] = 0;
            var i = Array.BinarySearch(_live, 0, Count, slot);
            Array.Copy(_live, i + 1, _live, i, Count - i - 1);
            Count--;
        }
    }

    private interface ILinkageRule
    {
        /// <summary>d(i ∪ j, k) from d(i, k), d(j, k) and the size shares of i and j.</summary>
        static abstract float Combine(float toFirst, float toSecond, float firstShare, float secondShare);
    }

    private readonly struct AverageRule : ILinkageRule
    {
        public static float Combine(float toFirst, float toSecond, float firstShare, float secondShare) =>
            firstShare * toFirst + secondShare * toSecond;
    }

    private readonly struct CompleteRule : ILinkageRule
    {
        public static float Combine(float toFirst, float toSecond, float firstShare, float secondShare) => MathF.Max(toFirst, toSecond);
    }

    /// <summary>The nearer of the two, except that +∞ (faces of one photo in the two clusters) keeps them apart for good:
    /// the other linkages carry +∞ on by themselves.</summary>
    private readonly struct SingleRule : ILinkageRule
    {
        public static float Combine(float toFirst, float toSecond, float firstShare, float secondShare) =>
            float.IsPositiveInfinity(toFirst) || float.IsPositiveInfinity(toSecond) ? float.PositiveInfinity : MathF.Min(toFirst, toSecond);
    }
}
