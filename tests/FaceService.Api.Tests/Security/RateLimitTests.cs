using System.Net;
using FaceService.Api.Tests.Infrastructure;

namespace FaceService.Api.Tests.Security;

/// <summary>Per-key fixed windows: over the limit a key gets 429 rate_limited with Retry-After; other keys are unaffected.</summary>
[Collection(ApiCollection.Name)]
public sealed class RateLimitTests
{
    private const int Permits = 3;

    [Fact]
    public async Task A_key_over_its_limit_gets_429_with_Retry_After_and_other_keys_do_not()
    {
        using var limited = new SettingsFactory(new() { ["RateLimit:PermitsPerWindow"] = Permits.ToString(), ["RateLimit:WindowSeconds"] = "300" });
        var admin = limited.CreateClient();
        // Creating the second key is the admin's first request.
        var other = limited.ClientWithKey((await admin.CreateKeyOkAsync("rate other", ["read"], ["*"])).Key);
        for (var i = 1; i < Permits; i++)
            await (await admin.GetAsync("/v1/collections")).ReadAsync(HttpStatusCode.OK);

        var refused = await admin.GetAsync("/v1/collections");
        await refused.ReadProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        var retryAfter = refused.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value.TotalSeconds, 1, 300);

        await (await other.GetAsync("/v1/collections")).ReadAsync(HttpStatusCode.OK);
        // Health checks are not limited.
        for (var i = 0; i < Permits + 2; i++)
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/health/live")).StatusCode);
    }
}
