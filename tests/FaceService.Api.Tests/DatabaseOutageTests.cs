using System.Net;
using FaceService.Api.Tests.Infrastructure;
using Npgsql;

namespace FaceService.Api.Tests;

/// <summary>The real database goes away behind a relay while the service runs, and comes back.</summary>
[Collection(ApiCollection.Name)]
public sealed class DatabaseOutageTests(ITestOutputHelper output)
{
    private const string Collection = "apitest-outage";

    [Fact]
    public async Task A_database_outage_is_503_with_retry_after_and_the_service_recovers_without_a_restart()
    {
        var target = new NpgsqlConnectionStringBuilder(ApiFactory.ConnectionString);
        using var relay = new TcpForwarder(target.Host!, target.Port);
        relay.Start();
        await using var factory = new RelayedApiFactory(relay.Port);
        var client = factory.CreateClient();
        await (await client.GetAsync($"/v1/subjects?collection={Collection}")).ReadAsync(HttpStatusCode.OK);

        relay.Stop();
        var listing = await client.GetAsync($"/v1/subjects?collection={Collection}");
        await listing.ReadProblemAsync(HttpStatusCode.ServiceUnavailable, "database_unavailable");
        Assert.True(listing.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After is missing");
        var enroll = await client.EnrollAsync(Collection, "outage-subject", DevPhotos.People[0].Photos[0]);
        await enroll.ReadProblemAsync(HttpStatusCode.ServiceUnavailable, "database_unavailable");
        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("Unhealthy", await ready.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);

        relay.Start();
        // Pooled connections cut by the outage are discarded as they are found broken: allow a few attempts.
        var attempts = 0;
        HttpResponseMessage response;
        do
        {
            attempts++;
            response = await client.GetAsync($"/v1/subjects?collection={Collection}");
            if (response.StatusCode != HttpStatusCode.OK) await Task.Delay(500);
        } while (response.StatusCode != HttpStatusCode.OK && attempts < 10);
        output.WriteLine($"Recovered after {attempts} request(s).");
        await response.ReadAsync(HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
        // Nothing of the failed enrollment reached the database.
        Assert.Equal(0, await factory.CountFacesAsync(Collection));
    }

    private sealed class RelayedApiFactory(int relayPort) : ApiFactory
    {
        protected override string StoreConnectionString =>
            new NpgsqlConnectionStringBuilder(ConnectionString) { Host = "127.0.0.1", Port = relayPort, Timeout = 3 }.ConnectionString;

        protected override IReadOnlyDictionary<string, string?> ExtraSettings => new Dictionary<string, string?> { ["Inference:WarmUp"] = "false" };
    }
}
