using System.Net;
using FaceService.Api.Tests.Infrastructure;

namespace FaceService.Api.Tests.Fuzz;

/// <summary>The service with room for one running and one waiting inference request.</summary>
public sealed class TinyQueueApiFactory : ApiFactory
{
    protected override IReadOnlyDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Concurrency:MaxConcurrentRequests"] = "1",
        ["Concurrency:MaxQueuedRequests"] = "1",
        ["Concurrency:MaxQueueWaitMs"] = "60000",
        ["Concurrency:RetryAfterSeconds"] = "2",
        ["Api:ShutdownTimeoutSeconds"] = "90",   // must exceed the queue wait
    };
}

/// <summary>A burst beyond the bounded queue is shed at once with 503 overloaded; what was admitted completes.</summary>
[Collection(ApiCollection.Name)]
public sealed class OverloadTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_burst_beyond_the_queue_is_shed_with_503_overloaded_and_the_rest_succeeds()
    {
        await using var factory = new TinyQueueApiFactory();
        var client = factory.CreateClient();
        var photo = DevPhotos.People[0].Photos[0];
        await client.DetectOkAsync(photo); // warm: the burst below measures admission, not start-up

        var burst = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.PostAsync("/v1/detect", new Multipart().File("image", photo))));

        var shed = burst.Where(r => r.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        foreach (var response in shed)
        {
            await response.ReadProblemAsync(HttpStatusCode.ServiceUnavailable, "overloaded");
            Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
        }
        foreach (var response in burst.Except(shed)) await response.ReadAsync(HttpStatusCode.OK);
        output.WriteLine($"8 concurrent: {burst.Length - shed.Count} answered 200, {shed.Count} shed with 503 overloaded");
        // One runs and one waits, so at least two succeed; the other six cannot all have arrived after those finished.
        Assert.InRange(burst.Length - shed.Count, 2, 7);
        // Non-inference endpoints are not limited.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
    }
}
