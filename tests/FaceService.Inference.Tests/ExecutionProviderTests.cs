using System.Security.Cryptography;
using FaceService.Core.Faces;
using FaceService.Core.Imaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using FaceService.Inference.Recognition;
using FaceService.Inference.Runtime;

namespace FaceService.Inference.Tests;

/// <summary>The execution provider follows Inference:Device; this machine has the CPU-only runtime.</summary>
public sealed class ExecutionProviderTests
{
    // Whether this machine and build can run CUDA: the GPU build on a GPU host can, everything else cannot. Each test
    // states what it expects in either case.
    private static readonly bool CudaUsable = OnnxSessionFactory.CudaUnavailableReason() is null;

    [Fact]
    public async Task Auto_runs_on_cuda_where_it_can_and_falls_back_to_cpu_with_a_warning_where_it_cannot()
    {
        var logs = new CapturingLoggerProvider();
        await using var services = ModelsFixture.BuildServices(
            new Dictionary<string, string?> { ["Inference:Device"] = "auto" }, s => s.AddLogging(b => b.AddProvider(logs)));

        var sessions = services.GetRequiredService<OnnxSessionFactory>();
        services.GetRequiredService<IFacePipeline>();

        Assert.Equal(CudaUsable ? "CUDA" : "CPU", sessions.ExecutionProvider);
        Assert.Equal(!CudaUsable, logs.Entries.Any(e => e.Level == LogLevel.Warning && e.Message.Contains("CUDA is not available")));
    }

    [Fact]
    public async Task Cuda_runs_on_cuda_where_it_can_and_fails_start_up_with_a_clear_error_where_it_cannot()
    {
        await using var services = ModelsFixture.BuildServices(new Dictionary<string, string?> { ["Inference:Device"] = "cuda" });

        if (CudaUsable)
        {
            services.GetRequiredService<IFacePipeline>();
            Assert.Equal("CUDA", services.GetRequiredService<OnnxSessionFactory>().ExecutionProvider);
            return;
        }
        var error = Assert.Throws<InvalidOperationException>(() => services.GetRequiredService<IFacePipeline>());
        Assert.Contains("Inference:Device is 'cuda'", error.Message);
        Assert.Contains("CUDA execution provider", error.Message);
    }

    [Fact]
    public async Task TensorRt_runs_on_tensorrt_where_it_can_and_fails_start_up_with_a_clear_error_where_it_cannot()
    {
        var cache = Directory.CreateTempSubdirectory("trt-engines-");
        try
        {
            await using var services = ModelsFixture.BuildServices(new Dictionary<string, string?>
            {
                ["Inference:Device"] = "tensorrt", ["Inference:TensorRtEngineCachePath"] = cache.FullName,
            });

            if (OnnxSessionFactory.TensorRtUnavailableReason() is null)
            {
                services.GetRequiredService<IFacePipeline>();
                Assert.Equal("TensorRT", services.GetRequiredService<OnnxSessionFactory>().ExecutionProvider);
                Assert.NotEmpty(cache.EnumerateFiles("*", SearchOption.AllDirectories));
                return;
            }
            var error = Assert.Throws<InvalidOperationException>(() => services.GetRequiredService<IFacePipeline>());
            Assert.Contains("Inference:Device is 'tensorrt'", error.Message);
            Assert.Contains("TensorRT", error.Message);
        }
        finally
        {
            cache.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_hosted_service_warms_the_models_up_at_start()
    {
        var logs = new CapturingLoggerProvider();
        await using var services = ModelsFixture.BuildServices(
            new Dictionary<string, string?> { ["Inference:Device"] = "cpu" }, s => s.AddLogging(b => b.AddProvider(logs)));

        foreach (var hosted in services.GetServices<IHostedService>()) await hosted.StartAsync(CancellationToken.None);

        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Information && e.Message.Contains("warmed up") && e.Message.Contains("CPU"));
    }

    [Fact]
    public async Task The_hosted_service_fails_start_up_when_cuda_is_required_but_absent()
    {
        await using var services = ModelsFixture.BuildServices(new Dictionary<string, string?> { ["Inference:Device"] = "cuda" });
        var hosted = Assert.Single(services.GetServices<IHostedService>().OfType<InferenceWarmUpService>());
        if (CudaUsable) await hosted.StartAsync(CancellationToken.None);
        else await Assert.ThrowsAsync<InvalidOperationException>(() => hosted.StartAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Cpu_logs_no_warning()
    {
        var logs = new CapturingLoggerProvider();
        await using var services = ModelsFixture.BuildServices(
            new Dictionary<string, string?> { ["Inference:Device"] = "cpu" }, s => s.AddLogging(b => b.AddProvider(logs)));

        Assert.Equal("CPU", services.GetRequiredService<OnnxSessionFactory>().ExecutionProvider);
        services.GetRequiredService<IFacePipeline>();
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Theory]
    [InlineData("Inference:Device", "gpu")]
    [InlineData("Inference:MaxBatchSize", "0")]
    [InlineData("Inference:DetectorScoreThreshold", "1.5")]
    [InlineData("Inference:MinFaceSize", "0")]
    [InlineData("Inference:Detector", "retinaface")]
    [InlineData("Inference:Detector", "7")]
    [InlineData("Inference:MtcnnMinFaceSize", "11")]
    public async Task Invalid_options_are_refused(string key, string value)
    {
        await using var services = ModelsFixture.BuildServices(new Dictionary<string, string?> { [key] = value });
        Assert.ThrowsAny<Exception>(() => services.GetRequiredService<IOptions<InferenceOptions>>().Value);
    }

    [Fact]
    public async Task Missing_models_fail_with_the_path_in_the_message()
    {
        var empty = Directory.CreateTempSubdirectory();
        try
        {
            await using var services = ModelsFixture.BuildServices(new Dictionary<string, string?> { ["Inference:ModelsPath"] = empty.FullName });
            var error = Assert.Throws<FileNotFoundException>(() => services.GetRequiredService<IFacePipeline>());
            Assert.Contains(empty.FullName, error.Message);
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Model_id_names_the_weights_and_the_chip_layout()
    {
        await using var services = ModelsFixture.BuildServices();
        // The default precision (Auto) without a store: the int8 build where this CPU has int8 dot products.
        var int8 = RecognitionPrecisionChoice.CpuHasInt8DotProducts;
        var file = int8 ? RecognitionNet.Int8ModelFile : RecognitionNet.ModelFile;
        var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(RepoPaths.ModelsDir, file))));
        var modelId = services.GetRequiredService<IFacePipeline>().ModelId;

        // The defaults: dlib's 68-point fit, dlib's shape predictor (-dlibsp), chip and mirror image averaged (+mirror).
        Assert.Equal($"dlib-resnet-v1{(int8 ? "-int8" : "")}+facechip150-dlibsp+mirror@{sha[..12]}", modelId);
        Assert.Equal(sha, services.GetRequiredService<RecognitionNet>().WeightsSha256);
    }

    [Fact]
    public async Task Int8_precision_runs_the_int8_build_under_its_own_model_id_close_to_float32()
    {
        await using var services = ModelsFixture.BuildServices(new Dictionary<string, string?> { ["Inference:RecognitionPrecision"] = "Int8" });
        var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(RepoPaths.ModelsDir, RecognitionNet.Int8ModelFile))));
        var int8 = services.GetRequiredService<RecognitionNet>();

        Assert.Equal(sha, int8.WeightsSha256);
        Assert.Equal($"dlib-resnet-v1-int8+facechip150-dlibsp+mirror@{sha[..12]}", services.GetRequiredService<IFacePipeline>().ModelId);

        await using var float32Services = ModelsFixture.BuildServices();
        var float32 = float32Services.GetRequiredService<RecognitionNet>();
        // A smooth synthetic chip: both builds give nearly the same unit embedding.
        var pixels = new byte[RecognitionNet.ChipSize * RecognitionNet.ChipSize * 4];
        for (var i = 0; i < pixels.Length; i++) pixels[i] = i % 4 == 3 ? (byte)255 : (byte)(128 + 100 * Math.Sin(i * 0.0007 + i % 4));
        var chip = new RgbaImage(RecognitionNet.ChipSize, RecognitionNet.ChipSize, pixels);
        var (a, b) = (float32.Embed([chip])[0], int8.Embed([chip])[0]);
        Assert.True(a.Zip(b).Sum(p => p.First * p.Second) > 0.99, "int8 and float32 embeddings of one chip differ");
    }
}

internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public System.Collections.Concurrent.ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose() { }

    private sealed class Logger(CapturingLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider.Entries.Enqueue((logLevel, formatter(state, exception)));
    }
}
