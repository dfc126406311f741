using System.Net;
using FaceService.Api.Tests.Infrastructure;

namespace FaceService.Api.Tests.Security;

/// <summary>With every log level on, no key text (valid, wrong or bootstrap) and no image hash reaches the logs.</summary>
[Collection(ApiCollection.Name)]
public sealed class LogPrivacyTests
{
    // A collection of its own per run: a test run in another process cannot touch it (the subject is erased at the end).
    private static readonly string Collection = "apitest-logs-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task Logs_carry_no_key_text_and_no_image_hash()
    {
        using var factory = new LogCapturingFactory(new Dictionary<string, string?>
        {
            ["Serilog:MinimumLevel:Default"] = "Verbose",
            ["Serilog:MinimumLevel:Override:Microsoft.AspNetCore"] = "Verbose",
            ["Inference:WarmUp"] = "false",
        });
        var admin = factory.CreateClient();
        var key = await admin.CreateKeyOkAsync("log check", ["write"], [Collection]);
        var writer = factory.ClientWithKey(key.Key);
        var person = DevPhotos.People[3];

        var enrolled = await writer.EnrollOkAsync(Collection, person.Name, person.Photos[0]);
        var sha = (string)enrolled["faces"]![0]!["imageSha256"]!;
        var wrongKey = key.Key[..^4] + "AAAA";
        await (await factory.ClientWithKey(wrongKey).GetAsync("/v1/collections")).ReadProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        await (await writer.DeleteAsync($"/v1/subjects/{Uri.EscapeDataString(person.Name)}?collection={Collection}")).ReadAsync(HttpStatusCode.OK);

        var events = factory.Sink.Rendered();
        // The flow was logged (so the check below is not vacuous): the enrollment, the refused key, the erasure.
        Assert.Contains(events, e => e.StartsWith("Enrolled", StringComparison.Ordinal));
        Assert.Contains(events, e => e.Contains("not authenticated", StringComparison.Ordinal));
        Assert.Contains(events, e => e.StartsWith("Erased a subject", StringComparison.Ordinal));
        foreach (var secret in new[] { key.Key, key.Key.Split('_', 3)[2], wrongKey, ApiFactory.BootstrapAdminKey, sha })
            Assert.True(!events.Any(e => e.Contains(secret, StringComparison.Ordinal)),
                $"Logged: {events.FirstOrDefault(e => e.Contains(secret, StringComparison.Ordinal))}");
    }
}
