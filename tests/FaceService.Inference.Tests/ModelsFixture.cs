using FaceService.Core.Embeddings;
using FaceService.Core.Faces;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using FaceService.Inference.Detection;
using FaceService.Inference.Imaging;
using FaceService.Inference.Landmarks;
using FaceService.Inference.Recognition;
using FaceService.Inference.Runtime;

namespace FaceService.Inference.Tests;

/// <summary>The real models, loaded once for all tests of the "Models" collection, through the same DI registration as the API.</summary>
public sealed class ModelsFixture : IAsyncLifetime
{
    private ServiceProvider? _services;

    public IServiceProvider Services => _services ?? throw new InvalidOperationException("Not initialised.");
    public SkiaImageDecoder Decoder => Services.GetRequiredService<SkiaImageDecoder>();
    public IFaceDetector Detector => Services.GetRequiredService<IFaceDetector>();
    public IFaceLandmarker Landmarker => Services.GetRequiredService<IFaceLandmarker>();
    public BatchingFaceEmbedder Embedder => Services.GetRequiredService<BatchingFaceEmbedder>();
    public IFacePipeline Pipeline => Services.GetRequiredService<IFacePipeline>();
    public IEmbeddingQuantizer Quantizer => Services.GetRequiredService<IEmbeddingQuantizer>();
    public InferenceOptions Options => Services.GetRequiredService<InferenceOptions>();

    public static ServiceProvider BuildServices(IDictionary<string, string?>? settings = null, Action<IServiceCollection>? extra = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build();
        var services = new ServiceCollection().AddLogging();
        extra?.Invoke(services);
        services.AddFaceInference(configuration);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public async Task InitializeAsync()
    {
        _services = BuildServices();
        await Services.GetRequiredService<InferenceWarmUp>().RunAsync();
    }

    public async Task DisposeAsync()
    {
        if (_services is not null) await _services.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ModelsCollection : ICollectionFixture<ModelsFixture>
{
    public const string Name = "Models";
}
