using FaceService.Core.Naming;
using FaceService.Api.Tests.Infrastructure;
using FaceService.Core.Faces;
using FaceService.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FaceService.Api.Tests;

/// <summary>Bad configuration stops the service at start-up, naming the option, instead of failing requests later.</summary>
[Collection(ApiCollection.Name)]
public sealed class StartupValidationTests(ApiFactory factory)
{
    /// <summary>
    /// Faces stored under another model id than the serving one are never compared (after an upgrade that changed the
    /// default chips, say): start-up says so, with how many there are, rather than leaving the operator to wonder why
    /// searches miss them.
    /// </summary>
    [Fact]
    public async Task Faces_of_another_model_are_reported_at_start_up()
    {
        var collection = CollectionName.Parse("apitest-othermodel-" + Guid.NewGuid().ToString("N")[..8]);
        var otherModel = "retired-model@" + Guid.NewGuid().ToString("N")[..12];
        var code = new sbyte[128];
        code[0] = 127;
        var faces = Enumerable.Range(0, 3).Select(i =>
            new NewFace(SubjectId.Parse($"person-{i}"), new FaceBox(0, 0, 40, 40), 0.9f, Convert.ToHexStringLower(BitConverter.GetBytes((long)i)).PadLeft(64, '0'), code)).ToList();
        await factory.Store.EnrollAsync(collection, otherModel, faces);
        try
        {
            using var restarted = new LogCapturingFactory(new Dictionary<string, string?> { ["Inference:WarmUp"] = "false" });
            restarted.CreateClient();

            var warning = Assert.Single(restarted.Sink.Rendered(), e => e.Contains(otherModel, StringComparison.Ordinal));
            Assert.StartsWith("3 stored faces were embedded by model", warning);
            Assert.Contains(factory.Services.GetRequiredService<IFacePipeline>().ModelId, warning);
        }
        finally
        {
            await factory.Store.DeleteCollectionAsync(collection);
        }
    }

    [Theory]
    [InlineData("Limits:MaxFileBytes", "16777216", "MaxFileBytes may not exceed MaxRequestBytes")]
    [InlineData("Limits:MaxFilesPerRequest", "0", "MaxFilesPerRequest")]
    [InlineData("Recognition:VerifyMaxFalseAcceptRate", "0", "VerifyMaxFalseAcceptRate")]
    [InlineData("Recognition:IdentifyMaxFalsePositiveIdentificationRate", "1.5", "IdentifyMaxFalsePositiveIdentificationRate")]
    [InlineData("Recognition:VerifyThreshold", "0.158", "no longer read")]
    [InlineData("Recognition:IdentifyThreshold", "0.158", "no longer read")]
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

    /// <summary>
    /// The models folder with the real models but a calibration that describes another model under this model's name:
    /// the service refuses to start rather than state rates that are not its own.
    /// </summary>
    [Fact]
    public void A_calibration_of_another_model_fails_start_up()
    {
        var models = Directory.CreateTempSubdirectory("faceservice-models").FullName;
        try
        {
            var real = Path.Combine(RepoPaths.Root, "models");
            foreach (var model in Directory.EnumerateFiles(real, "*.onnx").Concat(Directory.EnumerateFiles(real, "*.bin")))
                File.CreateSymbolicLink(Path.Combine(models, Path.GetFileName(model)), model);
            // The calibration of the default model id (dlib's landmarks, mirrored chips); the others ship for alternatives.
            var calibration = Directory.EnumerateFiles(Path.Combine(real, "calibration"), "dlib-resnet-v1+facechip150-dlibsp+mirror@*.json").Single();
            var modelId = Path.GetFileNameWithoutExtension(calibration);
            Directory.CreateDirectory(Path.Combine(models, "calibration"));
            File.WriteAllText(Path.Combine(models, "calibration", Path.GetFileName(calibration)),
                File.ReadAllText(calibration).Replace($"\"modelId\": \"{modelId}\"", "\"modelId\": \"another-model@000000000000\""));

            using var factory = new MisconfiguredFactory("Inference:ModelsPath", models);
            var error = Assert.ThrowsAny<InvalidOperationException>(() => factory.CreateClient());
            Assert.Contains("describes model another-model@000000000000", error.Message);

            File.Delete(Path.Combine(models, "calibration", Path.GetFileName(calibration)));
            using var without = new MisconfiguredFactory("Inference:ModelsPath", models);
            Assert.Contains($"No calibration for model {modelId}", Assert.ThrowsAny<InvalidOperationException>(() => without.CreateClient()).Message);
        }
        finally
        {
            Directory.Delete(models, recursive: true);
        }
    }

    /// <summary>One setting changed; the float32 build pinned (unless that is the setting), so the calibration is the one named above.</summary>
    private sealed class MisconfiguredFactory(string key, string value) : ApiFactory
    {
        protected override IReadOnlyDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
        {
            ["Inference:RecognitionPrecision"] = "Float32",
            ["Inference:WarmUp"] = "false",
            [key] = value,
        };
    }
}
