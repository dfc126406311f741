using FaceService.Core.Calibration;
using FaceService.Core.Clustering;
using FaceService.Core.Embeddings;
using Microsoft.Extensions.Options;
using static FaceService.Core.Tests.Clustering.ClusteringTestData;

namespace FaceService.Core.Tests.Clustering;

/// <summary>
/// People clustering on synthetic faces shaped like the model's (people ~0.3 apart around a common direction, photos of
/// one person ~0.08 apart) with a distance table like the shipped one; its quality on real faces is measured by
/// `bench clustering` (docs/CLUSTERING.md).
/// </summary>
public sealed class PeopleClustererTests
{
    private static readonly EmbeddingQuantizer Quantizer = new();

    /// <summary>A power-law tail like the model's (rate 1e-4 at 0.11, tenfold per 21 % of distance), measured rates above.</summary>
    private static readonly DistanceCalibration Table = new("test",
    [
        new(0f, 0, 0, false), new(0.05f, 4.3e-8, 0, false), new(0.08f, 4.2e-6, 0, false), new(0.11f, 1e-4, 0.9, true),
        new(0.14f, 1e-3, 0.99, true), new(0.2f, 2.6e-2, 1, true), new(0.3f, 0.35, 1, true), new(0.5f, 0.97, 1, true), new(4f, 1, 1, true),
    ], "test");

    private static PeopleClusterer Clusterer(int? threads = null) =>
        new(Table, Options.Create(new ClusteringOptions { MaxDegreeOfParallelism = threads }));

    /// <summary>People around a common direction (as face embeddings are), each with the given number of photos, shuffled.</summary>
    private static (List<sbyte[]> Codes, int[] Labels) FaceLikePeople(int seed, int[] photos)
    {
        var random = new Random(seed);
        var common = RandomUnit(random);
        var items = new List<(sbyte[] Code, int Person)>();
        for (var person = 0; person < photos.Length; person++)
        {
            var centre = Near(random, common, 0.04f);
            for (var p = 0; p < photos[person]; p++) items.Add((Quantizer.Quantize(Near(random, centre, 0.018f)), person));
        }
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(items));
        return ([.. items.Select(i => i.Code)], [.. items.Select(i => i.Person)]);
    }

    /// <summary>People of three photos or more (a pair of photos may stay apart: two lone faces join only when tight).</summary>
    [Fact]
    public void People_are_found_and_people_seen_once_stay_alone()
    {
        var photos = Enumerable.Range(0, 120).Select(i => i % 2 == 0 ? 1 : 3 + i % 8).ToArray();
        var (codes, labels) = FaceLikePeople(seed: 1, photos);
        var distance = Quantizer.SquaredDistance(codes[0], codes[1]);
        Assert.InRange(distance, 0.01f, 1f);

        var result = Clusterer().Cluster(codes, null, CancellationToken.None);

        Assert.Equal(GroupsOf(labels), Partition(result));
    }

    [Fact]
    public void On_every_pair_and_on_the_neighbour_graph_the_groups_agree()
    {
        var (codes, _) = FaceLikePeople(seed: 2, Enumerable.Range(0, 300).Select(i => 1 + i % 6).ToArray());
        Assert.Equal(Partition(Clusterer().Cluster(codes, null, CancellationToken.None, exact: true)),
            Partition(Clusterer().Cluster(codes, null, CancellationToken.None)));
    }

    [Fact]
    public void The_answer_does_not_depend_on_the_number_of_threads()
    {
        var (codes, _) = FaceLikePeople(seed: 3, Enumerable.Range(0, 200).Select(i => 1 + i % 5).ToArray());
        Assert.Equal(Partition(Clusterer(threads: 1).Cluster(codes, null, CancellationToken.None)),
            Partition(Clusterer(threads: 8).Cluster(codes, null, CancellationToken.None)));
    }

    /// <summary>A person's photos with, in one of them, a second face as close as another photo of theirs: the photo keeps
    /// its two faces apart, and each of the two photos' other faces still joins its person.</summary>
    [Fact]
    public void Faces_of_one_photo_never_share_a_cluster_even_when_they_match()
    {
        var (codes, labels) = FaceLikePeople(seed: 4, [6, 5, 1, 1, 1]);
        var person = Enumerable.Range(0, codes.Count).Where(i => labels[i] == 0).ToArray();
        var photos = new string?[codes.Count];
        // Two of the person's faces in one group photo: the constraint, not the distance, decides.
        photos[person[0]] = photos[person[1]] = "group.jpg";

        var result = Clusterer().Cluster(codes, photos, CancellationToken.None);

        Assert.DoesNotContain(result.Clusters, c => c.Contains(person[0]) && c.Contains(person[1]));
        var withoutPhotos = Clusterer().Cluster(codes, null, CancellationToken.None);
        Assert.Contains(withoutPhotos.Clusters, c => c.Contains(person[0]) && c.Contains(person[1]));
        // The rest of the person still forms one cluster with one of the two.
        Assert.Contains(result.Clusters, c => person.Skip(2).All(c.Contains) && (c.Contains(person[0]) || c.Contains(person[1])));
    }

    [Fact]
    public void Identical_faces_of_one_photo_stay_apart_and_small_inputs_are_fine()
    {
        var face = Quantizer.Quantize(RandomUnit(new Random(5)));
        var result = Clusterer().Cluster([face, (sbyte[])face.Clone()], ["a.jpg", "a.jpg"], CancellationToken.None);
        Assert.Empty(result.Clusters);
        Assert.Equal([0, 1], result.Singletons);
        Assert.Equal([[0, 1]], Clusterer().Cluster([face, (sbyte[])face.Clone()], null, CancellationToken.None).Clusters);
        Assert.Equal([0], Clusterer().Cluster([face], null, CancellationToken.None).Singletons);
        Assert.Empty(Clusterer().Cluster([], null, CancellationToken.None).Singletons);
    }

    [Fact]
    public void Bad_input_is_refused_before_any_work()
    {
        var face = Quantizer.Quantize(RandomUnit(new Random(6)));
        Assert.Throws<ArgumentException>(() => Clusterer().Cluster([face, null!], null, CancellationToken.None));
        Assert.Throws<ArgumentException>(() => Clusterer().Cluster([face, new sbyte[128]], null, CancellationToken.None));
        Assert.Throws<ArgumentException>(() => Clusterer().Cluster([face, face], ["a"], CancellationToken.None));
    }

    [Fact]
    public void Cancellation_stops_the_work()
    {
        var (codes, _) = FaceLikePeople(seed: 7, Enumerable.Repeat(3, 500).ToArray());
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Clusterer().Cluster(codes, null, cancelled.Token));
    }
}
