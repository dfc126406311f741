using System.Net;
using System.Net.Http.Json;
using FaceService.Api.Tests.Infrastructure;

namespace FaceService.Api.Tests.Security;

/// <summary>
/// Per-key limits, set when a key is made: over its limit a key gets 429 rate_limited with Retry-After; other keys are
/// unaffected; the bootstrap key is unlimited unless configured.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class RateLimitTests
{
    private const int Permits = 3;

    [Fact]
    public async Task A_key_over_its_own_limit_gets_429_with_Retry_After_and_other_keys_do_not()
    {
        using var factory = new SettingsFactory(new() { ["Keys:DefaultRequestsPerMinute"] = Permits.ToString() });
        var bootstrap = factory.CreateClient();
        var created = await (await bootstrap.PostAsJsonAsync("/v1/keys", new { name = "rate limited", roles = new[] { "admin" }, collections = new[] { "*" } }))
            .ReadAsync(HttpStatusCode.Created);
        Assert.Equal(Permits, (int?)created["requestsPerMinute"]);
        var limited = factory.ClientWithKey((string)created["key"]!);
        var unlimited = factory.ClientWithKey((await (await limited.PostAsJsonAsync("/v1/keys",
            new { name = "unlimited", roles = new[] { "read" }, collections = new[] { "*" }, requestsPerMinute = 0 })).ReadAsync(HttpStatusCode.Created))["key"]!.ToString());
        for (var i = 1; i < Permits; i++)
            await (await limited.GetAsync("/v1/collections")).ReadAsync(HttpStatusCode.OK);

        var refused = await limited.GetAsync("/v1/collections");
        var problem = await refused.ReadProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Contains($"its {Permits} requests a minute", (string?)problem["detail"]);
        var retryAfter = refused.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value.TotalSeconds, 1, 60);

        // Another key, the bootstrap key (unlimited by default) and the health checks are not held back.
        for (var i = 0; i < Permits * 4; i++)
        {
            await (await unlimited.GetAsync("/v1/collections")).ReadAsync(HttpStatusCode.OK);
            await (await bootstrap.GetAsync("/v1/collections")).ReadAsync(HttpStatusCode.OK);
            Assert.Equal(HttpStatusCode.OK, (await limited.GetAsync("/health/live")).StatusCode);
        }
        var listed = (await (await bootstrap.GetAsync("/v1/keys")).ReadAsync(HttpStatusCode.OK))["keys"]!.AsArray();
        Assert.Contains(listed, k => (string?)k!["name"] == "unlimited" && (int?)k["requestsPerMinute"] == 0);
    }

    [Fact]
    public async Task The_bootstrap_key_is_limited_only_when_configured()
    {
        using var factory = new SettingsFactory(new() { ["RateLimit:BootstrapRequestsPerMinute"] = Permits.ToString() });
        var bootstrap = factory.CreateClient();
        for (var i = 0; i < Permits; i++)
            await (await bootstrap.GetAsync("/v1/collections")).ReadAsync(HttpStatusCode.OK);
        await (await bootstrap.GetAsync("/v1/collections")).ReadProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1_000_001)]
    public async Task A_limit_out_of_range_is_a_validation_error(int perMinute)
    {
        using var factory = new SettingsFactory([]);
        var problem = await (await factory.CreateClient().PostAsJsonAsync("/v1/keys",
            new { name = "bad limit", roles = new[] { "read" }, collections = new[] { "*" }, requestsPerMinute = perMinute }))
            .ReadProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal("requestsPerMinute", (string?)problem["target"]);
    }
}
