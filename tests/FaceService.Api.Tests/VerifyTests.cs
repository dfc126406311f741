using FaceService.Api.Tests.Infrastructure;

namespace FaceService.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class VerifyTests(ApiFactory factory, ITestOutputHelper output)
{
    private readonly HttpClient _client = factory.CreateClient();

    /// <summary>Same pairs: each person's first two photos. Different pairs: each person's first photo against the next person's.</summary>
    [Fact]
    public async Task Same_person_pairs_verify_and_different_person_pairs_do_not()
    {
        var people = DevPhotos.People;
        var same = new List<float>();
        var different = new List<float>();
        foreach (var person in people)
        {
            var result = await _client.VerifyImagesOkAsync(person.Photos[0], person.Photos[1]);
            Assert.Equal(2, result["faces"]!.AsArray().Count);
            same.Add((float)result["distance"]!);
            Assert.Equal((bool)result["verified"]!, (float)result["distance"]! <= (float)result["threshold"]!);
        }
        for (var i = 0; i < people.Count; i++)
        {
            var result = await _client.VerifyImagesOkAsync(people[i].Photos[0], people[(i + 1) % people.Count].Photos[0]);
            different.Add((float)result["distance"]!);
        }

        var threshold = (float)(await _client.VerifyImagesOkAsync(people[0].Photos[0], people[0].Photos[0]))["threshold"]!;
        var sameAccepted = same.Count(d => d <= threshold);
        var differentRejected = different.Count(d => d > threshold);
        var accuracy = (double)(sameAccepted + differentRejected) / (same.Count + different.Count);
        output.WriteLine($"End to end (API) verify at threshold {threshold}: {same.Count} same pairs accepted {sameAccepted}, " +
                         $"{different.Count} different pairs rejected {differentRejected}, accuracy {accuracy:P1}; " +
                         $"mean distance same {same.Average():F3}, different {different.Average():F3}");
        Assert.True(accuracy >= 0.90, $"pair accuracy {accuracy:P1} is below the 90% floor");
        Assert.True(same.Average() < different.Average());
    }

    [Fact]
    public async Task Verify_against_a_subject_is_the_minimum_over_its_stored_faces()
    {
        const string collection = "apitest-verify";
        await factory.ResetCollectionAsync(collection);
        var person = DevPhotos.People.First(p => p.Photos.Count >= 3);
        var enrolled = await _client.EnrollOkAsync(collection, person.Name, person.Photos[0], person.Photos[1]);
        var faceIds = enrolled["faces"]!.AsArray().Select(f => (string)f!["faceId"]!).ToList();

        var probe = person.Photos[2];
        var toEach = new[]
        {
            (float)(await _client.VerifyImagesOkAsync(probe, person.Photos[0]))["distance"]!,
            (float)(await _client.VerifyImagesOkAsync(probe, person.Photos[1]))["distance"]!,
        };
        var form = new Multipart().File("image1", probe).Field("subject", person.Name).Field("collection", collection);
        var result = await (await _client.PostAsync("/v1/verify", form)).ReadAsync(System.Net.HttpStatusCode.OK);

        Assert.Equal(toEach.Min(), (float)result["distance"]!, 1e-4f);
        Assert.Equal(faceIds[Array.IndexOf(toEach, toEach.Min())], (string)result["matchedFaceId"]!);
        Assert.Single(result["faces"]!.AsArray());
    }

    [Fact]
    public async Task A_threshold_in_the_request_overrides_the_default()
    {
        var people = DevPhotos.People;
        var loose = await _client.VerifyImagesOkAsync(people[0].Photos[0], people[1].Photos[0], threshold: 4f);
        Assert.True((bool)loose["verified"]!);
        Assert.Equal(4f, (float)loose["threshold"]!);

        var strict = await _client.VerifyImagesOkAsync(people[0].Photos[0], people[0].Photos[1], threshold: 0.0001f);
        Assert.False((bool)strict["verified"]!);
        Assert.InRange((float)strict["distance"]!, 0.0001f, 4f);
    }
}
