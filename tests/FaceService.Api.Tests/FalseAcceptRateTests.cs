using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using FaceService.Api.Tests.Infrastructure;

namespace FaceService.Api.Tests;

/// <summary>
/// Thresholds by rate through HTTP, with the shipped calibration (models/calibration): verify decides at a false-accept
/// rate, identify at a false-positive identification rate for the collection's number of subjects, and every answer
/// states them.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class FalseAcceptRateTests(ApiFactory factory, ITestOutputHelper output)
{
    private const double ConfiguredVerifyRate = 1e-3;
    private const double ConfiguredIdentifyRate = 0.01;
    private readonly HttpClient _client = factory.CreateClient();

    private static string Invariant(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private async Task<JsonNode> VerifyAsync(string photo1, string photo2, HttpStatusCode expected, params (string Name, string Value)[] fields)
    {
        var form = new Multipart().File("image1", photo1).File("image2", photo2);
        foreach (var (name, value) in fields) form.Field(name, value);
        var response = await _client.PostAsync("/v1/verify", form);
        return expected == HttpStatusCode.OK ? await response.ReadAsync(expected) : await response.ReadProblemAsync(expected, "validation_failed");
    }

    private async Task<JsonNode> IdentifyAsync(string collection, string photo, HttpStatusCode expected, params (string Name, string Value)[] fields)
    {
        var form = new Multipart().File("image", photo).Field("collection", collection);
        foreach (var (name, value) in fields) form.Field(name, value);
        var response = await _client.PostAsync("/v1/identify", form);
        return expected == HttpStatusCode.OK ? await response.ReadAsync(expected) : await response.ReadProblemAsync(expected, "validation_failed");
    }

    [Fact]
    public async Task Every_verify_answer_states_the_false_accept_rate_of_its_distance_and_threshold_and_the_rate_grows_with_distance()
    {
        var people = DevPhotos.People;
        var answers = new List<JsonNode>();
        for (var i = 0; i < people.Count; i++)
        {
            answers.Add(await VerifyAsync(people[i].Photos[0], people[i].Photos[1], HttpStatusCode.OK));
            answers.Add(await VerifyAsync(people[i].Photos[0], people[(i + 1) % people.Count].Photos[0], HttpStatusCode.OK));
        }

        var byDistance = answers.Select(a => (Distance: (float)a["distance"]!, Rate: (double)a["falseAcceptRate"]!)).OrderBy(a => a.Distance).ToList();
        for (var i = 1; i < byDistance.Count; i++)
            Assert.True(byDistance[i].Rate >= byDistance[i - 1].Rate,
                $"FAR {byDistance[i].Rate} at {byDistance[i].Distance} is below FAR {byDistance[i - 1].Rate} at {byDistance[i - 1].Distance}");
        Assert.All(byDistance, a => Assert.InRange(a.Rate, 0, 1));
        Assert.True(byDistance[^1].Rate > byDistance[0].Rate);

        var threshold = (float)answers[0]["threshold"]!;
        var thresholdRate = (double)answers[0]["thresholdFalseAcceptRate"]!;
        Assert.All(answers, a => Assert.Equal(threshold, (float)a["threshold"]!));
        Assert.InRange(thresholdRate, ConfiguredVerifyRate * 0.99, ConfiguredVerifyRate);
        foreach (var answer in answers)
        {
            var verified = (bool)answer["verified"]!;
            Assert.Equal(verified, (float)answer["distance"]! <= threshold);
            if (verified) Assert.True((double)answer["falseAcceptRate"]! <= thresholdRate);
        }
        output.WriteLine($"default verify threshold {threshold} (FAR {thresholdRate:E2}); distances {byDistance[0].Distance:F3}..{byDistance[^1].Distance:F3} " +
                         $"→ FAR {byDistance[0].Rate:E2}..{byDistance[^1].Rate:E2}");
    }

    [Fact]
    public async Task Verify_decides_at_a_requested_false_accept_rate_or_distance_but_not_both()
    {
        var person = DevPhotos.People[0];
        var byDefault = await VerifyAsync(person.Photos[0], person.Photos[1], HttpStatusCode.OK);
        var strict = await VerifyAsync(person.Photos[0], person.Photos[1], HttpStatusCode.OK, ("maxFalseAcceptRate", "1e-5"));
        var loose = await VerifyAsync(person.Photos[0], person.Photos[1], HttpStatusCode.OK, ("maxFalseAcceptRate", "0.05"));
        Assert.True((float)strict["threshold"]! < (float)byDefault["threshold"]!);
        Assert.True((float)loose["threshold"]! > (float)byDefault["threshold"]!);
        Assert.InRange((double)strict["thresholdFalseAcceptRate"]!, 0.99e-5, 1e-5);
        Assert.Equal((double)byDefault["falseAcceptRate"]!, (double)strict["falseAcceptRate"]!);

        var byDistance = await VerifyAsync(person.Photos[0], person.Photos[1], HttpStatusCode.OK, ("threshold", "0.1"));
        Assert.Equal(0.1f, (float)byDistance["threshold"]!);
        Assert.InRange((double)byDistance["thresholdFalseAcceptRate"]!, 1e-7, 1e-4);

        // Against an enrolled subject with one face, the same rule.
        const string collection = "apitest-far-verify";
        await factory.ResetCollectionAsync(collection);
        await _client.EnrollOkAsync(collection, person.Name, person.Photos[0]);
        var subject = await VerifySubjectAsync(collection, person.Name, person.Photos[1], ("maxFalseAcceptRate", Invariant(1e-5)));
        Assert.Equal(1, (int)subject["comparedFaces"]!);
        Assert.Equal((float)strict["threshold"]!, (float)subject["threshold"]!);
        Assert.Equal((double)strict["falseAcceptRate"]!, (double)subject["falseAcceptRate"]!, 1e-12);

        // With three faces a stranger has three chances: a stricter threshold for the same rate, and a higher rate for the same distance.
        var many = DevPhotos.People.First(p => p.Photos.Count >= 4);
        await _client.EnrollOkAsync(collection, many.Name, many.Photos[0]);
        var oneFace = await VerifySubjectAsync(collection, many.Name, many.Photos[3]);
        await _client.EnrollOkAsync(collection, many.Name, many.Photos[1], many.Photos[2]);
        var threeFaces = await VerifySubjectAsync(collection, many.Name, many.Photos[3]);
        Assert.Equal(3, (int)threeFaces["comparedFaces"]!);
        Assert.True((float)threeFaces["threshold"]! < (float)oneFace["threshold"]!);
        Assert.InRange((double)threeFaces["thresholdFalseAcceptRate"]!, ConfiguredVerifyRate * 0.99, ConfiguredVerifyRate * (1 + 1e-9));
        var toFirst = await VerifyAsync(many.Photos[3], many.Photos[0], HttpStatusCode.OK);
        if ((float)threeFaces["distance"]! == (float)toFirst["distance"]!)
            Assert.True((double)threeFaces["falseAcceptRate"]! > (double)toFirst["falseAcceptRate"]!);
    }

    private async Task<JsonNode> VerifySubjectAsync(string collection, string subject, string photo, params (string Name, string Value)[] fields)
    {
        var form = new Multipart().File("image1", photo).Field("subject", subject).Field("collection", collection);
        foreach (var (name, value) in fields) form.Field(name, value);
        return await (await _client.PostAsync("/v1/verify", form)).ReadAsync(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-0.001")]
    [InlineData("1.5")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("often")]
    public async Task Verify_refuses_a_false_accept_rate_out_of_range(string rate)
    {
        var person = DevPhotos.People[0];
        var problem = await VerifyAsync(person.Photos[0], person.Photos[1], HttpStatusCode.BadRequest, ("maxFalseAcceptRate", rate));
        Assert.Contains("maxFalseAcceptRate", problem.ToJsonString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Verify_refuses_a_threshold_and_a_false_accept_rate_together()
    {
        var person = DevPhotos.People[0];
        var problem = await VerifyAsync(person.Photos[0], person.Photos[1], HttpStatusCode.BadRequest, ("threshold", "0.1"), ("maxFalseAcceptRate", "0.001"));
        Assert.Equal("maxFalseAcceptRate", (string?)problem["target"]);
    }

    /// <summary>
    /// The same probe against one enrolled face and then against every dev person (all their photos but the probe): each
    /// subject is one candidate, compared as the template of its faces, and judged against the other subjects nearest to
    /// the probe at the collection's size; every candidate states its rates, and the one match is within the rate.
    /// </summary>
    [Fact]
    public async Task Identify_compares_people_and_candidates_state_the_chance_a_stranger_stands_out_as_much()
    {
        const string collection = "apitest-far-identify";
        await factory.ResetCollectionAsync(collection);
        var probe = DevPhotos.People[0].Photos[^1];

        await _client.EnrollOkAsync(collection, DevPhotos.People[0].Name, DevPhotos.People[0].Photos[0]);
        var alone = await IdentifyAsync(collection, probe, HttpStatusCode.OK);
        Assert.Equal((1, 1), ((long)alone["gallerySubjects"]!, (long)alone["galleryFaces"]!));
        Assert.Equal(ConfiguredIdentifyRate, (double)alone["maxFalsePositiveIdentificationRate"]!);
        Assert.Null(alone["threshold"]);

        var enrolled = 1;
        var facesOf = new Dictionary<string, int> { [DevPhotos.People[0].Name] = 1 };
        foreach (var person in DevPhotos.People)
        {
            var photos = person.Photos.Where(p => p != probe && p != DevPhotos.People[0].Photos[0]).ToArray();
            if (photos.Length == 0) continue;
            await _client.EnrollOkAsync(collection, person.Name, photos);
            enrolled += photos.Length;
            facesOf[person.Name] = facesOf.GetValueOrDefault(person.Name) + photos.Length;
        }
        var crowd = await IdentifyAsync(collection, probe, HttpStatusCode.OK, ("k", "10"));
        Assert.Equal((facesOf.Count, enrolled), ((int)(long)crowd["gallerySubjects"]!, (int)(long)crowd["galleryFaces"]!));
        var face = crowd["faces"]![0]!;
        Assert.Equal(DevPhotos.People[0].Name, (string?)face["subject"]);

        var candidates = face["candidates"]!.AsArray();
        Assert.Equal(10, candidates.Count);
        Assert.Equal(10, candidates.Select(c => (string)c!["subject"]!).Distinct().Count());
        double previousRate = 0;
        foreach (var candidate in candidates)
        {
            var rate = (double)candidate!["falseAcceptRate"]!;
            var stranger = (double)candidate["falsePositiveIdentificationRate"]!;
            Assert.True(rate >= previousRate, "surest first");
            Assert.InRange(stranger, 0, 1);
            Assert.Equal(facesOf[(string)candidate["subject"]!], (int)candidate["faces"]!);
            Assert.True(Guid.TryParse((string?)candidate["faceId"], out _));
            previousRate = rate;
        }
        var matches = candidates.Where(c => (bool)c!["match"]!).ToList();
        Assert.Equal([DevPhotos.People[0].Name], matches.Select(c => (string)c!["subject"]!));
        Assert.True((double)matches[0]!["falsePositiveIdentificationRate"]! <= ConfiguredIdentifyRate);
        // The surest candidate stands out; the others, judged against it, do not.
        Assert.All(candidates.Skip(1), c => Assert.True((double)c!["falsePositiveIdentificationRate"]! > ConfiguredIdentifyRate));
        output.WriteLine($"identify at {enrolled} faces of {facesOf.Count} people: {(string?)candidates[0]!["subject"]} ({(int)candidates[0]!["faces"]!} faces) " +
                         $"at {(float)candidates[0]!["distance"]!:F3}: FAR {(double)candidates[0]!["falseAcceptRate"]!:E2}, strangers standing out as much " +
                         $"{(double)candidates[0]!["falsePositiveIdentificationRate"]!:E2}; next {(string?)candidates[1]!["subject"]} at " +
                         $"{(float)candidates[1]!["distance"]!:F3}, {(double)candidates[1]!["falsePositiveIdentificationRate"]!:P1}");

        // Erasure shrinks the gallery at once.
        await _client.DeleteAsync($"/v1/subjects/{DevPhotos.People[1].Name}?collection={collection}");
        var after = await IdentifyAsync(collection, probe, HttpStatusCode.OK);
        Assert.Equal((facesOf.Count - 1, enrolled - DevPhotos.People[1].Photos.Count), ((int)(long)after["gallerySubjects"]!, (int)(long)after["galleryFaces"]!));
    }

    [Fact]
    public async Task Identify_decides_at_a_requested_rate_or_distance_but_not_both_and_refuses_rates_out_of_range()
    {
        const string collection = "apitest-far-identify-rate";
        await factory.ResetCollectionAsync(collection);
        foreach (var person in DevPhotos.People.Take(6)) await _client.EnrollOkAsync(collection, person.Name, person.Photos[0]);
        var probe = DevPhotos.People[0].Photos[1];

        var loose = await IdentifyAsync(collection, probe, HttpStatusCode.OK, ("maxFalsePositiveIdentificationRate", "0.2"));
        Assert.Equal(0.2, (double)loose["maxFalsePositiveIdentificationRate"]!);
        var byDistance = await IdentifyAsync(collection, probe, HttpStatusCode.OK, ("threshold", "0.3"), ("k", "6"));
        Assert.Equal(0.3f, (float)byDistance["threshold"]!);
        Assert.Null(byDistance["maxFalsePositiveIdentificationRate"]);
        var candidates = byDistance["faces"]![0]!["candidates"]!.AsArray();
        // A distance decides alone: the match is the surest candidate within it.
        var within = candidates.Where(c => (float)c!["distance"]! <= 0.3f).ToList();
        Assert.NotEmpty(within);
        Assert.Equal((string?)within[0]!["subject"], (string?)byDistance["faces"]![0]!["subject"]);

        var both = await IdentifyAsync(collection, probe, HttpStatusCode.BadRequest, ("threshold", "0.1"), ("maxFalsePositiveIdentificationRate", "0.01"));
        Assert.Equal("maxFalsePositiveIdentificationRate", (string?)both["target"]);
        foreach (var bad in new[] { "0", "-1", "2", "NaN", "rarely" })
        {
            var problem = await IdentifyAsync(collection, probe, HttpStatusCode.BadRequest, ("maxFalsePositiveIdentificationRate", bad));
            Assert.Contains("maxFalsePositiveIdentificationRate", problem.ToJsonString(), StringComparison.OrdinalIgnoreCase);
        }
    }
}
