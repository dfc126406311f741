using FaceService.Core.Clustering;
using FaceService.Core.Embeddings;

namespace FaceService.Core.Tests.Clustering;

internal static class ClusteringTestData
{
    /// <summary>Every group of a result (clusters and singletons), each ascending, in a canonical order for comparison.</summary>
    public static List<int[]> Partition(ClusteringResult result) =>
        Canonical(result.Clusters.Concat(result.Singletons.Select(s => new[] { s })));

    public static List<int[]> Canonical(IEnumerable<int[]> groups) =>
        groups.Select(g => g.Order().ToArray()).OrderBy(g => g[0]).ToList();

    /// <summary>A random unit vector in 128 dimensions.</summary>
    public static float[] RandomUnit(Random random, int dimension = 128)
    {
        var v = new float[dimension];
        for (var i = 0; i < v.Length; i++) v[i] = Gaussian(random);
        EmbeddingMath.NormalizeInPlace(v);
        return v;
    }

    /// <summary>A unit vector near <paramref name="center"/>: Gaussian noise of the given deviation per component, renormalised.</summary>
    public static float[] Near(Random random, float[] center, float sigma)
    {
        var v = new float[center.Length];
        for (var i = 0; i < v.Length; i++) v[i] = center[i] + sigma * Gaussian(random);
        EmbeddingMath.NormalizeInPlace(v);
        return v;
    }

    /// <summary>Face codes of several people, each seen several times, shuffled; labels give each code's person.</summary>
    public static (List<sbyte[]> Codes, int[] Labels) People(IEmbeddingQuantizer quantizer, int seed, int[] samplesPerPerson, float sigma)
    {
        var random = new Random(seed);
        var items = new List<(sbyte[] Code, int Label)>();
        for (var person = 0; person < samplesPerPerson.Length; person++)
        {
            var center = RandomUnit(random);
            for (var s = 0; s < samplesPerPerson[person]; s++) items.Add((quantizer.Quantize(Near(random, center, sigma)), person));
        }
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(items));
        return (items.Select(i => i.Code).ToList(), items.Select(i => i.Label).ToArray());
    }

    /// <summary>The groups of indices that share a label.</summary>
    public static List<int[]> GroupsOf(int[] labels) =>
        Canonical(Enumerable.Range(0, labels.Length).GroupBy(i => labels[i]).Select(g => g.ToArray()));

    private static float Gaussian(Random random) =>
        (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
}
