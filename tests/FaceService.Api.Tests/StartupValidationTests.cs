using FaceService.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FaceService.Api.Tests;

/// <summary>Bad configuration stops the service at start-up, naming the option, instead of failing requests later.</summary>
[Collection(ApiCollection.Name)]
public sealed class StartupValidationTests
{
    [Theory]
    [InlineData("Limits:MaxFileBytes", "16777216", "MaxFileBytes may not exceed MaxRequestBytes")]
    [InlineData("Limits:MaxFilesPerRequest", "0", "MaxFilesPerRequest")]
    [InlineData("Recognition:VerifyThreshold", "5", "VerifyThreshold")]
    [InlineData("Recognition:DefaultK", "500", "DefaultK")]
    [InlineData("Api:ShutdownTimeoutSeconds", "0", "ShutdownTimeoutSeconds")]
    [InlineData("Api:ShutdownTimeoutSeconds", "10", "ShutdownTimeoutSeconds must exceed Concurrency:MaxQueueWaitMs")]
    public void An_invalid_option_fails_start_up(string key, string value, string named)
    {
        using var factory = new MisconfiguredFactory(key, value);
        var error = Assert.ThrowsAny<OptionsValidationException>(() => factory.CreateClient());
        Assert.Contains(named, error.Message);
    }

    [Fact]
    public void The_host_shutdown_timeout_follows_the_api_option()
    {
        using var factory = new MisconfiguredFactory("Api:ShutdownTimeoutSeconds", "45");
        factory.CreateClient().Dispose();
        Assert.Equal(TimeSpan.FromSeconds(45), factory.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
    }

    private sealed class MisconfiguredFactory(string key, string value) : ApiFactory
    {
        protected override IReadOnlyDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
        {
            [key] = value,
            ["Inference:WarmUp"] = "false",
        };
    }
}
