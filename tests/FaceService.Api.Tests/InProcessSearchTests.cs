using System.Net;
using FaceService.Api.Tests.Infrastructure;
using FaceService.Api.Tests.ScaleOut;
using FaceService.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace FaceService.Api.Tests;

/// <summary>
/// Identify through the in-process graph the API keeps for a large gallery (Storage:InProcessSearchMinSubjects, here
/// 20): the service builds it by itself after start-up, answers through it, and every enroll and delete shows in the
/// next answer, before the graph has folded it in.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class InProcessSearchTests
{
    [Fact]
    public async Task A_large_gallery_is_identified_through_the_graph_and_writes_show_at_once()
    {
        await using var schema = await PrivateSchema.CreateAsync("graph");
        using var factory = new GraphFactory(schema.ConnectionString);
        using var client = factory.CreateClient();
        var people = DevPhotos.People.Where(p => p.Photos.Count >= 2).ToList();
        var newcomer = people[^1];
        foreach (var person in people.SkipLast(1)) await client.EnrollOkAsync("people", person.Name, person.Photos[0]);
        Assert.True(people.Count - 1 >= GraphFactory.MinSubjects, "the dev set has enough people with two photos");

        // The sync looks for galleries that reached the size every 10 s.
        var graphs = factory.Services.GetRequiredService<SubjectGraphs>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (graphs.Subjects < people.Count - 1 && DateTime.UtcNow < deadline) await Task.Delay(200);
        Assert.Equal(people.Count - 1, graphs.Subjects);

        var top1 = 0;
        foreach (var person in people.SkipLast(1))
        {
            var answer = await client.IdentifyOkAsync("people", person.Photos[1], k: 3);
            if ((string?)answer["faces"]![0]!["candidates"]![0]!["subject"] == person.Name) top1++;
        }
        Assert.True(top1 >= 0.9 * (people.Count - 1), $"top-1 {top1} of {people.Count - 1}");
        Assert.Equal(people.Count - 1, graphs.Searches);

        // Enrolled and erased just now: the graph holds neither change yet, the answers do.
        await client.EnrollOkAsync("people", newcomer.Name, newcomer.Photos[0]);
        var found = await client.IdentifyOkAsync("people", newcomer.Photos[1], k: 3);
        Assert.Equal(newcomer.Name, (string?)found["faces"]![0]!["candidates"]![0]!["subject"]);
        var erased = people[0];
        await (await client.DeleteAsync($"/v1/subjects/{erased.Name}?collection=people")).ReadAsync(HttpStatusCode.OK);
        var after = await client.IdentifyOkAsync("people", erased.Photos[1], k: 100, threshold: 4f);
        Assert.DoesNotContain(after["faces"]![0]!["candidates"]!.AsArray(), c => (string?)c!["subject"] == erased.Name);
        Assert.Equal(people.Count + 1, graphs.Searches);
    }

    private sealed class GraphFactory(string connectionString) : ApiFactory
    {
        public const int MinSubjects = 15;

        protected override string StoreConnectionString => connectionString;

        protected override IReadOnlyDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
        {
            ["Inference:WarmUp"] = "false",
            ["Storage:ExactSearchMaxSubjects"] = "0",
            ["Storage:InProcessSearchMinSubjects"] = MinSubjects.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }
}
