using FaceService.Core.Clustering;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FaceService.Core.Services;

public static class CoreServiceCollectionExtensions
{
    /// <summary>
    /// The application services and the clusterer, with their options validated at start-up. The pipeline
    /// (AddFaceInference), the store (AddFaceStore) and an IMeterFactory (AddMetrics) come from the host.
    /// </summary>
    public static IServiceCollection AddFaceCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RecognitionOptions>().Bind(configuration.GetSection(RecognitionOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ClusteringOptions>().Bind(configuration.GetSection(ClusteringOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IFaceClusterer, AgglomerativeFaceClusterer>();
        services.AddSingleton<FaceServiceMetrics>();
        services.AddSingleton<FaceRecognitionService>();
        services.AddSingleton<FaceCatalogService>();
        return services;
    }
}
