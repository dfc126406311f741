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
        var n = distances.Count;
        var merges = new List<Merge>();
        // A cluster lives in the slot of its smallest member. Size 0 marks a slot merged away or retired; its distances
        // are +∞, so searches pass over it.
        var size = new int[n];
        Array.Fill(size, 1);
        var height = new float[n];
        var chain = new int[n];
        var chainLength = 0;
        var live = n;
        var first = 0;
        while (live > 1)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (chainLength == 0)
            {
                while (size[first] == 0) first++;
                chain[chainLength++] = first;
            }
            var a = chain[chainLength - 1];
            var (b, h) = Nearest(distances, a);
            if (h > threshold)
            {
                // Distances along the chain never increase, so every cluster on it has its nearest neighbour beyond the
                // threshold, and by reducibility every cluster it could ever meet is as far: none of them merges again
                // below the cut. Retiring them skips the top of the dendrogram, which the cut would throw away.
                for (var i = 0; i < chainLength; i++) Retire(distances, size, chain[i]);
                live -= chainLength;
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
            MergeInto<TRule>(distances, size, survivor, removed);
            live--;
        }
        return merges;
    }

    /// <summary>The nearest live cluster to a; the smallest slot wins a tie.</summary>
    private static (int Slot, float Distance) Nearest(CondensedDistanceMatrix distances, int a)
    {
        var n = distances.Count;
        var best = float.PositiveInfinity;
        var slot = -1;
        // d(k, a) for k < a sits in column a of the earlier rows: offset a-1 for k = 0, then the gap shrinks by one per row.
        var p = distances.Pointer + (a - 1);
        long step = n - 2;
        for (var k = 0; k < a; k++, p += step, step--)
        {
            if (*p < best)
            {
                best = *p;
                slot = k;
            }
        }
        var row = distances.Row(a);
        if (row.Length > 0)
        {
            var i = TensorPrimitives.IndexOfMin<float>(row);
            if (row[i] < best)
            {
                best = row[i];
                slot = a + 1 + i;
            }
        }
        return (slot, best);
    }

    /// <summary>Takes a cluster out of the search: its distances become +∞.</summary>
    private static void Retire(CondensedDistanceMatrix distances, int[] size, int slot)
    {
        size[slot] = 0;
        var p = distances.Pointer + (slot - 1);
        long step = distances.Count - 2;
        for (var k = 0; k < slot; k++, p += step, step--) *p = float.PositiveInfinity;
        distances.Row(slot).Fill(float.PositiveInfinity);
    }

    /// <summary>Lance–Williams update of d(survivor ∪ removed, k) into the survivor's slot; the removed slot becomes +∞.</summary>
    private static void MergeInto<TRule>(CondensedDistanceMatrix distances, int[] size, int survivor, int removed)
        where TRule : ILinkageRule
    {
        var n = distances.Count;
        var total = (float)(size[survivor] + size[removed]);
        float ws = size[survivor] / total, wr = size[removed] / total;
        size[survivor] += size[removed];
        size[removed] = 0;

        // k < survivor: both distances in columns; the two columns advance by the same gaps.
        float* ps = distances.Pointer + (survivor - 1), pr = distances.Pointer + (removed - 1);
        long step = n - 2;
        var k = 0;
        for (; k < survivor; k++, ps += step, pr += step, step--)
        {
            *ps = TRule.Combine(*ps, *pr, ws, wr);
            *pr = float.PositiveInfinity;
        }
        // k = survivor: d(survivor, removed) itself.
        *pr = float.PositiveInfinity;
        pr += step--;
        k++;
        // survivor < k < removed: the survivor's row, the removed slot's column.
        var survivorRow = distances.Row(survivor);
        for (; k < removed; k++, pr += step, step--)
        {
            ref var ds = ref survivorRow[k - survivor - 1];
            ds = TRule.Combine(ds, *pr, ws, wr);
            *pr = float.PositiveInfinity;
        }
        // k > removed: both rows.
        var removedRow = distances.Row(removed);
        var tail = survivorRow[(removed - survivor)..];
        for (var i = 0; i < removedRow.Length; i++) tail[i] = TRule.Combine(tail[i], removedRow[i], ws, wr);
        removedRow.Fill(float.PositiveInfinity);
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

    private readonly struct SingleRule : ILinkageRule
    {
        public static float Combine(float toFirst, float toSecond, float firstShare, float secondShare) => MathF.Min(toFirst, toSecond);
    }
}
