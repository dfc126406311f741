using FaceService.Core.Clustering;
using FaceService.Core.Embeddings;
using Microsoft.Extensions.Options;
using static FaceService.Core.Tests.Clustering.ClusteringTestData;

namespace FaceService.Core.Tests.Clustering;

public class AgglomerativeFaceClustererTests
{
    private static readonly IEmbeddingQuantizer Quantizer = new EmbeddingQuantizer();
    private static readonly Linkage[] AllLinkages = Enum.GetValues<Linkage>();

    public static TheoryData<Linkage> Linkages => new(AllLinkages);

    // Per-component noise 0.02 on 128 dimensions puts two photos of one person about 0.1 apart (squared L2) and two
    // people about 2 apart: any linkage cut at 0.5 must give back the people.
    private const float PhotoNoise = 0.02f;

    [Theory]
    [MemberData(nameof(Linkages))]
    public void Recovers_the_people_behind_noisy_codes(Linkage linkage)
    {
        var (codes, labels) = People(Quantizer, seed: 11, [7, 5, 5, 4, 3, 3, 2, 2, 1, 1, 1, 6, 2], PhotoNoise);

        var result = Clusterer().Cluster(codes, 0.5f, linkage);

        Assert.Equal(GroupsOf(labels), Partition(result));
    }

    [Theory]
    [MemberData(nameof(Linkages))]
    public void Orders_clusters_by_size_then_smallest_member(Linkage linkage)
    {
        var (codes, _) = People(Quantizer, seed: 5, [2, 4, 1, 3, 4, 2, 1, 3], PhotoNoise);

        var result = Clusterer().Cluster(codes, 0.5f, linkage);

        Assert.All(result.Clusters, c => Assert.True(c.Length >= 2));
        Assert.All(result.Clusters, c => Assert.Equal(c.Order(), c));
        Assert.Equal(result.Singletons.Order(), result.Singletons);
        var keys = result.Clusters.Select(c => (-c.Length, c[0])).ToArray();
        Assert.Equal(keys.Order(), keys);
        Assert.Equal(codes.Count, result.Clusters.Sum(c => c.Length) + result.Singletons.Count);
    }

    [Theory]
    [MemberData(nameof(Linkages))]
    public void Threshold_zero_leaves_distinct_codes_alone_and_four_joins_everything(Linkage linkage)
    {
        var (codes, _) = People(Quantizer, seed: 3, [4, 4, 4, 4, 4], PhotoNoise);

        var apart = Clusterer().Cluster(codes, 0f, linkage);
        var together = Clusterer().Cluster(codes, 4f, linkage);

        Assert.Empty(apart.Clusters);
        Assert.Equal(Enumerable.Range(0, codes.Count), apart.Singletons);
        Assert.Equal([Enumerable.Range(0, codes.Count).ToArray()], together.Clusters);
        Assert.Empty(together.Singletons);
    }

    [Theory]
    [MemberData(nameof(Linkages))]
    public void Identical_codes_join_even_at_threshold_zero(Linkage linkage)
    {
        var random = new Random(2);
        var face = Quantizer.Quantize(RandomUnit(random));
        var other = Quantizer.Quantize(RandomUnit(random));

        var result = Clusterer().Cluster([face, other, (sbyte[])face.Clone()], 0f, linkage);

        Assert.Equal([new[] { 0, 2 }], result.Clusters);
        Assert.Equal([1], result.Singletons);
    }

    [Fact]
    public void A_chain_links_under_single_splits_under_complete_and_average_sits_between()
    {
        // Directions in one plane at 0°, 10°, 21°, 31° and 45°. In units of d(0°, 10°) the squared distances are about:
        // neighbours 100, 117, 99, 191; two apart 430, 428, 559; farther 926, 1163, 1893.
        var codes = new[] { 0, 10, 21, 31, 45 }.Select(PlaneCode).ToList();
        var threshold = 5 * Quantizer.SquaredDistance(codes[0], codes[1]);

        var single = Clusterer().Cluster(codes, threshold, Linkage.Single);
        var average = Clusterer().Cluster(codes, threshold, Linkage.Average);
        var complete = Clusterer().Cluster(codes, threshold, Linkage.Complete);

        // Single: every neighbour gap is within 500, so the chain holds together.
        Assert.Equal([new[] { 0, 1, 2, 3, 4 }], single.Clusters);
        // Average: {2,3} takes 4 at (559 + 191) / 2 = 375; {0,1} to {2,3,4} averages 826.
        Assert.Equal([new[] { 2, 3, 4 }, new[] { 0, 1 }], average.Clusters);
        Assert.Empty(average.Singletons);
        // Complete: {2,3} to 4 is 559 and {0,1} to {2,3} is 926, so only the two tight pairs form.
        Assert.Equal([new[] { 0, 1 }, new[] { 2, 3 }], complete.Clusters);
        Assert.Equal([4], complete.Singletons);
    }

    [Fact]
    public void No_faces_give_an_empty_result()
    {
        var result = Clusterer().Cluster([], 0.4f, Linkage.Average);

        Assert.Empty(result.Clusters);
        Assert.Empty(result.Singletons);
    }

    [Fact]
    public void One_face_is_a_singleton()
    {
        var result = Clusterer().Cluster([Quantizer.Quantize(RandomUnit(new Random(1)))], 0.4f, Linkage.Average);

        Assert.Empty(result.Clusters);
        Assert.Equal([0], result.Singletons);
    }

    [Theory]
    [MemberData(nameof(Linkages))]
    public void Two_faces_join_when_within_the_threshold(Linkage linkage)
    {
        var random = new Random(4);
        var center = RandomUnit(random);
        sbyte[][] codes = [Quantizer.Quantize(Near(random, center, PhotoNoise)), Quantizer.Quantize(Near(random, center, PhotoNoise))];
        var distance = Quantizer.SquaredDistance(codes[0], codes[1]);

        // The clusterer measures on the dequantized vectors: the same distance up to float rounding.
        var at = Clusterer().Cluster(codes, distance * 1.0001f, linkage);
        var below = Clusterer().Cluster(codes, distance * 0.9999f, linkage);

        Assert.Equal([new[] { 0, 1 }], at.Clusters);
        Assert.Empty(at.Singletons);
        Assert.Empty(below.Clusters);
        Assert.Equal([0, 1], below.Singletons);
    }

    [Theory]
    [MemberData(nameof(Linkages))]
    public void Gives_the_same_answer_on_one_thread_and_many(Linkage linkage)
    {
        var (codes, _) = People(Quantizer, seed: 21, Enumerable.Repeat(3, 60).ToArray(), sigma: 0.05f);

        var serial = Clusterer(new ClusteringOptions { MaxDegreeOfParallelism = 1 }).Cluster(codes, 0.6f, linkage);
        var parallel = Clusterer(new ClusteringOptions { MaxDegreeOfParallelism = 8 }).Cluster(codes, 0.6f, linkage);

        Assert.Equal(serial.Clusters, parallel.Clusters);
        Assert.Equal(serial.Singletons, parallel.Singletons);
    }

    [Fact]
    public void Refuses_more_faces_than_the_configured_maximum()
    {
        var codes = Enumerable.Range(0, 4).Select(RandomCode).ToList();

        var error = Assert.Throws<ArgumentException>(() => Clusterer(new ClusteringOptions { MaxAgglomerativeFaces = 3 }).Cluster(codes, 0.4f, Linkage.Average));

        Assert.Contains("at most 3", error.Message);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(-0.1f)]
    public void Refuses_a_threshold_that_is_not_a_distance(float threshold)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Clusterer().Cluster([RandomCode(1), RandomCode(2)], threshold, Linkage.Average));
    }

    [Fact]
    public void Refuses_an_unknown_linkage()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Clusterer().Cluster([RandomCode(1), RandomCode(2)], 0.4f, (Linkage)42));
    }

    [Fact]
    public void Refuses_malformed_codes()
    {
        Assert.Throws<ArgumentException>(() => Clusterer().Cluster([RandomCode(1), null!], 0.4f, Linkage.Average));
        Assert.Throws<ArgumentException>(() => Clusterer().Cluster([RandomCode(1), new sbyte[64]], 0.4f, Linkage.Average));
        Assert.Throws<ArgumentException>(() => Clusterer().Cluster([new sbyte[64], new sbyte[64]], 0.4f, Linkage.Average));
        // A code of zeros points nowhere; the quantizer refuses it before any work starts.
        Assert.Throws<ArgumentException>(() => Clusterer().Cluster([RandomCode(1), RandomCode(2), new sbyte[128]], 0.4f, Linkage.Average));
        Assert.ThrowsAny<ArgumentException>(() => Clusterer().Cluster(null!, 0.4f, Linkage.Average));
    }

    [Fact]
    public void Stops_before_starting_when_already_cancelled()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => Clusterer().Cluster([RandomCode(1), RandomCode(2)], 0.4f, Linkage.Single, cancellationToken: cancelled.Token));
    }

    [Fact]
    public void Stops_in_the_distance_matrix_when_cancelled_after_the_start()
    {
        var (codes, _) = People(Quantizer, seed: 8, Enumerable.Repeat(2, 6000).ToArray(), PhotoNoise);
        using var cancellation = new CancellationTokenSource();
        // The up-front check passes; the matrix of 12,000 faces takes far longer than the delay.
        cancellation.CancelAfter(TimeSpan.FromMilliseconds(50));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.ThrowsAny<OperationCanceledException>(() => Clusterer().Cluster(codes, 0.4f, Linkage.Average, cancellationToken: cancellation.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"stopped after {clock.Elapsed}");
    }

    /// <summary>
    /// Two faces of one photo are never together, whatever the linkage: even identical codes, and even when a third face
    /// near both would chain them (single linkage takes the nearer of two distances, except the one that keeps them apart).
    /// </summary>
    [Theory]
    [InlineData(Linkage.Average)]
    [InlineData(Linkage.Complete)]
    [InlineData(Linkage.Single)]
    public void Faces_of_one_photo_never_share_a_cluster(Linkage linkage)
    {
        var face = PlaneCode(0);
        sbyte[][] codes = [face, (sbyte[])face.Clone(), PlaneCode(2), PlaneCode(90)];
        string?[] photos = ["group.jpg", "group.jpg", "other.jpg", null];
        var result = Clusterer().Cluster(codes, 4f, linkage, photos);
        Assert.DoesNotContain(result.Clusters, c => c.Contains(0) && c.Contains(1));
        // Without the photos the two identical faces go together.
        Assert.Contains(Clusterer().Cluster(codes, 0.01f, linkage).Clusters, c => c.Contains(0) && c.Contains(1));
        Assert.Throws<ArgumentException>(() => Clusterer().Cluster(codes, 4f, linkage, ["a", "b"]));
    }

    private static AgglomerativeFaceClusterer Clusterer(ClusteringOptions? options = null) =>
        new(Options.Create(options ?? new ClusteringOptions()));

    /// <summary>A code pointing at the given angle in the plane of the first two components.</summary>
    private static sbyte[] PlaneCode(int degrees)
    {
        var code = new sbyte[EmbeddingQuantizer.Dimensions];
        code[0] = (sbyte)Math.Round(120 * Math.Cos(degrees * Math.PI / 180));
        code[1] = (sbyte)Math.Round(120 * Math.Sin(degrees * Math.PI / 180));
        return code;
    }

    private static sbyte[] RandomCode(int seed) => Quantizer.Quantize(RandomUnit(new Random(seed)));
}
