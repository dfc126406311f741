using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using FaceService.Api.Infrastructure;
using FaceService.Api.Tests.Infrastructure;
using NpgsqlTypes;

namespace FaceService.Api.Tests.ScaleOut;

/// <summary>
/// Reads from a hot standby (docs/SCALING.md, section 4), against real servers: a PostgreSQL primary and its streaming
/// standby of the test's own (<see cref="StandbyPair"/>) and the built service as a real process with both hosts in
/// its connection string. Identify is served by the standby; an enroll's consistency token makes the next identify see
/// the new face wherever it is served; without the token the replication lag is measured; and the service rides out
/// the standby going down, the primary going down (reads go on, writes answer 503) and both coming back, without a
/// restart.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class StandbyTests(ITestOutputHelper output)
{
    private const string Collection = "standby";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan RecoveryTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Reads_go_to_the_standby_tokens_give_read_your_writes_and_either_server_may_fail()
    {
        await using var pair = await StandbyPair.CreateAsync();
        using var service = ApiProcess.Start("standby-reads", new Dictionary<string, string>
        {
            ["ConnectionStrings:FaceStore"] = pair.ServiceConnectionString,
            ["Inference:ModelsPath"] = Path.Combine(RepoPaths.Root, "models"),
            ["Auth:BootstrapAdminKey"] = ApiFactory.BootstrapAdminKey,
        });
        try
        {
            await service.WaitUntilReadyAsync(StartTimeout);
            using var client = service.CreateClient(ApiFactory.BootstrapAdminKey);
            var people = DevPhotos.People.Where(p => p.Photos.Count >= 2).ToList();

            var ready = await ReadinessAsync(client, HttpStatusCode.OK, "Healthy");
            Assert.Contains("primary;", ready);
            Assert.Contains("standby, replayed to", ready);

            // Enroll, then identify at once with the enroll's token: the new face is always there, whoever serves it.
            // Meanwhile the standby's replay of the enroll's commit is timed from the enroll's answer.
            var servedBy = new List<string>();
            var lagsMs = new List<double>();
            await using var standby = await pair.OpenStandbyAsync();
            foreach (var person in people.Take(6))
            {
                var (token, written) = await EnrollAsync(client, person);
                var lag = ReplayLagAsync(standby, written);
                var identified = await IdentifyAsync(client, person.Photos[1], token);
                Assert.Equal(person.Name, TopSubject(identified.Body));
                servedBy.Add(identified.ReadFrom);
                lagsMs.Add(await lag);
            }
            output.WriteLine($"Enroll then identify with the token, 6 people: served by {string.Join(", ", servedBy)}; the standby " +
                             $"replayed each enroll's commit {string.Join(", ", lagsMs.Select(l => $"{l:F1}"))} ms after its answer.");

            // Without a token, once the standby has replayed the writes, identify is served by it: the service's
            // X-Read-From comes from pg_is_in_recovery() on the connection that answered.
            var probe = people[0];
            Assert.True((await StandbyPair.StandbyStateAsync(standby)).InRecovery);
            var plain = await IdentifyAsync(client, probe.Photos[1], token: null);
            Assert.Equal("standby", plain.ReadFrom);
            Assert.Equal(probe.Name, TopSubject(plain.Body));

            // A standby that lags (replay paused): with the token the read goes to the primary and sees the new face;
            // without it the standby answers without the face. Once replay resumes, the standby has it too.
            await pair.PauseReplayAsync();
            var lagging = people[6];
            var (laggingToken, _) = await EnrollAsync(client, lagging);
            var withToken = await IdentifyAsync(client, lagging.Photos[1], laggingToken);
            Assert.Equal(("primary", lagging.Name), (withToken.ReadFrom, TopSubject(withToken.Body)));
            var withoutToken = await IdentifyAsync(client, lagging.Photos[1], token: null);
            Assert.Equal("standby", withoutToken.ReadFrom);
            Assert.NotEqual(lagging.Name, TopSubject(withoutToken.Body));
            await pair.ResumeReplayAsync();
            await EventuallyAsync(async () => await IdentifyAsync(client, lagging.Photos[1], token: null),
                r => r.ReadFrom == "standby" && TopSubject(r.Body) == lagging.Name);

            // Without a token, right after an enroll: how often the first identify already saw the face.
            var seenAtOnce = 0;
            foreach (var person in people.Skip(7).Take(5))
            {
                await EnrollAsync(client, person);
                if (TopSubject((await IdentifyAsync(client, person.Photos[1], token: null)).Body) == person.Name) seenAtOnce++;
            }
            output.WriteLine($"Enroll then identify without a token, 5 people: the standby already had the face in {seenAtOnce} of 5 " +
                             "(identify runs the models before it reads, longer than the lag here).");

            // Standby down: reads go to the primary, no error; readiness stays healthy and names the host that is down.
            await pair.StopAsync("standby");
            var toPrimary = await IdentifyAsync(client, probe.Photos[1], token: null);
            Assert.Equal("primary", toPrimary.ReadFrom);
            Assert.Equal(probe.Name, TopSubject(toPrimary.Body));
            Assert.Contains("unreachable", await ReadinessAsync(client, HttpStatusCode.OK, "Healthy"));

            // Standby back: reads return to it without a restart.
            await pair.StartAsync("standby");
            var back = await EventuallyAsync(async () => await IdentifyAsync(client, probe.Photos[1], token: null), r => r.ReadFrom == "standby");
            Assert.Equal(probe.Name, TopSubject(back.Body));

            // Primary down: reads go on from the standby (listings too), writes answer 503 database_unavailable with
            // Retry-After; readiness stays 200 but degraded.
            await pair.StopAsync("primary");
            var fromStandby = await IdentifyAsync(client, probe.Photos[1], token: null);
            Assert.Equal("standby", fromStandby.ReadFrom);
            Assert.Equal(probe.Name, TopSubject(fromStandby.Body));
            var listing = await client.GetAsync($"/v1/subjects?collection={Collection}&pageSize=100");
            Assert.Equal(12, (await listing.ReadAsync(HttpStatusCode.OK))["items"]!.AsArray().Count);
            var late = people[12];
            var refused = await client.EnrollAsync(Collection, late.Name, late.Photos[0]);
            Assert.NotNull(refused.Headers.RetryAfter);
            await refused.ReadProblemAsync(HttpStatusCode.ServiceUnavailable, "database_unavailable");
            Assert.Contains("No primary", await ReadinessAsync(client, HttpStatusCode.OK, "Degraded"));

            // Both back: writes work again without a restart, and the token still gives read-your-writes.
            await pair.StartAsync("primary");
            var retried = await EventuallyAsync(async () => await client.EnrollAsync(Collection, late.Name, late.Photos[0]),
                r => r.StatusCode == HttpStatusCode.Created);
            var afterToken = Assert.Single(retried.Headers.GetValues(ConsistencyMiddleware.TokenHeader));
            Assert.Equal(late.Name, TopSubject((await IdentifyAsync(client, late.Photos[1], afterToken)).Body));
            await ReadinessAsync(client, HttpStatusCode.OK, "Healthy");

            // A token that is not a WAL position is the client's mistake.
            using var bad = new HttpRequestMessage(HttpMethod.Get, $"/v1/subjects?collection={Collection}");
            bad.Headers.Add(ConsistencyMiddleware.TokenHeader, "yesterday");
            await (await client.SendAsync(bad)).ReadProblemAsync(HttpStatusCode.BadRequest, "invalid_consistency_token");
        }
        finally
        {
            output.WriteLine(service.Describe());
        }
    }

    private sealed record Identified(JsonNode Body, string ReadFrom);

    /// <summary>Enrolls the person's first photo; the answer's consistency token, as sent and as a WAL position.</summary>
    private static async Task<(string Token, NpgsqlLogSequenceNumber Written)> EnrollAsync(HttpClient client, DevPhotos.Person person)
    {
        var enrolled = await client.EnrollAsync(Collection, person.Name, person.Photos[0]);
        await enrolled.ReadAsync(HttpStatusCode.Created);
        var token = Assert.Single(enrolled.Headers.GetValues(ConsistencyMiddleware.TokenHeader));
        return (token, NpgsqlLogSequenceNumber.Parse(token));
    }

    private static async Task<Identified> IdentifyAsync(HttpClient client, string photo, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/identify")
        {
            Content = new Multipart().File("image", photo).Field("collection", Collection),
        };
        if (token is not null) request.Headers.Add(ConsistencyMiddleware.TokenHeader, token);
        var response = await client.SendAsync(request);
        var body = await response.ReadAsync(HttpStatusCode.OK);
        return new Identified(body, Assert.Single(response.Headers.GetValues(ConsistencyMiddleware.ReadFromHeader)));
    }

    private static string? TopSubject(JsonNode identified) =>
        identified["faces"]!.AsArray() is [var face, ..] && face!["candidates"]!.AsArray() is [var top, ..] ? (string?)top!["subject"] : null;

    /// <summary>The readiness answer's database check, after asserting the status code and overall status.</summary>
    private static async Task<string> ReadinessAsync(HttpClient client, HttpStatusCode expected, string status)
    {
        var response = await client.GetAsync("/health/ready");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"/health/ready answered {(int)response.StatusCode}: {text}");
        var body = JsonNode.Parse(text)!;
        Assert.True((string?)body["status"] == status, $"/health/ready: expected {status}: {text}");
        return body["checks"]!.AsArray().Single(c => (string?)c!["name"] == "database")!.ToJsonString();
    }

    /// <summary>Milliseconds from now until the standby has replayed <paramref name="written"/> (0 when it already had).</summary>
    private static async Task<double> ReplayLagAsync(Npgsql.NpgsqlConnection standby, NpgsqlLogSequenceNumber written)
    {
        var clock = Stopwatch.StartNew();
        while ((await StandbyPair.StandbyStateAsync(standby)).Replayed < written)
        {
            Assert.True(clock.Elapsed < RecoveryTimeout, $"The standby did not replay {written} within {RecoveryTimeout.TotalSeconds} s.");
            await Task.Delay(TimeSpan.FromMilliseconds(0.5));
        }
        return clock.Elapsed.TotalMilliseconds;
    }

    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> attempt, Func<T, bool> done)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var result = await attempt();
            if (done(result)) return result;
            Assert.True(clock.Elapsed < RecoveryTimeout, $"Not back to normal within {RecoveryTimeout.TotalSeconds} s: last answer {result}.");
            await Task.Delay(250);
        }
    }
}
