using FaceService.Core.Clustering;
using FaceService.Core.Embeddings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

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
        services.AddOptionsWithValidateOnStart<ClusteringOptions>().Bind(configuration.GetSection(ClusteringOptions.SectionName)).ValidateDataAnnotations();
        services.AddOptionsWithValidateOnStart<PeopleOptions>().Bind(configuration.GetSection(PeopleOptions.SectionName)).ValidateDataAnnotations();
        services.AddEmbeddingQuantizer();
        services.AddSingleton<AgglomerativeFaceClusterer>();
        services.AddSingleton<PeopleClusterer>();
        services.AddSingleton<ClusterJoining>(provider => new ClusterJoining(provider.GetRequiredService<Calibration.DistanceCalibration>()));
        services.AddSingleton<FaceServiceMetrics>();
        services.AddSingleton<MatchDecisions>();
        services.AddSingleton<FaceRecognitionService>();
        services.AddSingleton<FaceCatalogService>();
        services.AddSingleton<PeopleService>();
        services.AddSingleton<ReclusterJobRunner>();
        services.AddSingleton<Security.AuditService>();
        return services.AddApiKeyManagement(configuration);
    }

    /// <summary>Key management (<see cref="Security.ApiKeyService"/>) and its policy; the key store comes from AddFaceStore.</summary>
    public static IServiceCollection AddApiKeyManagement(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptionsWithValidateOnStart<Security.KeyPolicyOptions>()
            .Bind(configuration.GetSection(Security.KeyPolicyOptions.SectionName)).ValidateDataAnnotations();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<Security.ApiKeyService>();
        return services;
    }

    /// <summary>
    /// The one quantizer of 128-byte codes: the pipeline makes codes with it, the store and the services compare them
    /// with it, so each of those modules asks for it, and whichever comes first registers it.
    /// </summary>
    public static IServiceCollection AddEmbeddingQuantizer(this IServiceCollection services)
    {
        services.TryAddSingleton<IEmbeddingQuantizer, EmbeddingQuantizer>();
        return services;
    }
}
