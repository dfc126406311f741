using FaceService.Core.Clustering;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FaceService.Core.Services;

public static class CoreServiceCollectionExtensions
{
    /// <summary>
    /// The application services and the clusterer, with their options validated at start-up. The pipeline and the
    /// model's calibration (AddFaceInference), the store (AddFaceStore) and an IMeterFactory (AddMetrics) come from the host.
    /// </summary>
    public static IServiceCollection AddFaceCore(this IServiceCollection services, IConfiguration configuration)
    {
        var recognition = configuration.GetSection(RecognitionOptions.SectionName);
        services.AddOptions<RecognitionOptions>().Bind(recognition).ValidateDataAnnotations()
            // Fixed distances gave way to rates; a configuration that still sets them would otherwise be ignored silently.
            .Validate(_ => recognition["VerifyThreshold"] is null && recognition["IdentifyThreshold"] is null,
                "Recognition:VerifyThreshold and Recognition:IdentifyThreshold are no longer read: the defaults are set by rate, " +
                "Recognition:VerifyMaxFalseAcceptRate and Recognition:IdentifyMaxFalsePositiveIdentificationRate (docs/API.md). Remove them.")
            .ValidateOnStart();
        services.AddOptions<ClusteringOptions>().Bind(configuration.GetSection(ClusteringOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IFaceClusterer, AgglomerativeFaceClusterer>();
        services.AddSingleton<FaceServiceMetrics>();
        services.AddSingleton<MatchDecisions>();
        services.AddSingleton<FaceRecognitionService>();
        services.AddSingleton<FaceCatalogService>();
        return services;
    }
}
