using System.Text.Json.Serialization;
using FaceService.Api.Errors;
using FaceService.Api.Health;
using FaceService.Api.Metrics;
using FaceService.Api.Swagger;
using FaceService.Core.Naming;
using FaceService.Core.Services;
using FaceService.Inference;
using FaceService.Storage;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace FaceService.Api.Infrastructure;

public static class ServiceRegistration
{
    /// <summary>
    /// Options of this host, validated at start-up; Kestrel's body limit follows Limits:MaxRequestBytes and the host's
    /// shutdown timeout Api:ShutdownTimeoutSeconds.
    /// </summary>
    public static IServiceCollection AddApiOptions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptionsWithValidateOnStart<ApiLimitsOptions>().Bind(configuration.GetSection(ApiLimitsOptions.SectionName)).ValidateDataAnnotations();
        services.AddOptions<ApiOptions>().Bind(configuration.GetSection(ApiOptions.SectionName)).ValidateDataAnnotations()
            .Validate<IOptions<InferenceConcurrencyOptions>>((api, concurrency) => api.ShutdownTimeoutSeconds * 1000L > concurrency.Value.MaxQueueWaitMs,
                "Api:ShutdownTimeoutSeconds must exceed Concurrency:MaxQueueWaitMs (in seconds): a request queued just before shutdown must have time to run.")
            .ValidateOnStart();
        // Set after the host's own binding (ASPNETCORE_shutdownTimeoutSeconds), so that Api:ShutdownTimeoutSeconds decides.
        services.AddOptions<HostOptions>().Configure<IOptions<ApiOptions>>((host, api) =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(api.Value.ShutdownTimeoutSeconds));
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<ApiLimitsOptions>>((kestrel, limits) =>
            kestrel.Limits.MaxRequestBodySize = limits.Value.MaxRequestBytes);
        return services;
    }

    /// <summary>
    /// The gate in front of the models (docs/CONCURRENCY.md): at most Concurrency:MaxConcurrentRequests model-running
    /// requests at once, a bounded queue behind them, and a shutdown that lets the running ones finish.
    /// </summary>
    public static IServiceCollection AddInferenceConcurrencyLimit(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptionsWithValidateOnStart<InferenceConcurrencyOptions>().Bind(configuration.GetSection(InferenceConcurrencyOptions.SectionName))
            .ValidateDataAnnotations();
        services.AddSingleton<InferenceRequestTracker>();
        services.AddHostedService<InferenceShutdownDrain>();
        return services;
    }

    /// <summary>
    /// The start-up migration of the store: registered before the face pipeline's start-up, because hosted services
    /// start in registration order and the pipeline's recognition precision (Auto) follows the faces the store holds;
    /// the in-process search graphs start reading the templates once the schema is migrated.
    /// </summary>
    public static IServiceCollection AddStoreMigration(this IServiceCollection services) =>
        services.AddHostedService<DatabaseMigrationService>().AddPrecisionFromStoredFaces().AddInProcessSearch();

    /// <summary>The application services (Core) and the recluster jobs' runner.</summary>
    public static IServiceCollection AddFaceServices(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddFaceCore(configuration);
        services.AddHostedService<ReclusterJobHost>();
        return services;
    }

    /// <summary>Controllers with camelCase JSON and string enums; every error as problem details.</summary>
    public static IServiceCollection AddApiControllers(this IServiceCollection services)
    {
        services.AddSingleton<ExceptionProblems>();
        services.AddControllers(o =>
            {
                o.Filters.Add<ApiExceptionFilter>();
                o.ModelBinderProviders.Insert(0, new NameModelBinderProvider());
            })
            .AddJsonOptions(o =>
            {
                o.JsonSerializerOptions.Converters.Add(new JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase));
                o.JsonSerializerOptions.Converters.Add(new NameJsonConverter<CollectionName>());
                o.JsonSerializerOptions.Converters.Add(new NameJsonConverter<SubjectId>());
            })
            .ConfigureApiBehaviorOptions(o => o.InvalidModelStateResponseFactory = ApiProblems.FromModelState);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ApiProblems.Customize);
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.AddHostedService<MeterPrometheusExporter>();
        services.AddHealthChecks()
            .AddCheck<FaceStoreHealthCheck>("database", tags: [HealthTags.Ready])
            .AddCheck<FaceModelsHealthCheck>("models", tags: [HealthTags.Ready]);
        return services;
    }

    public static IServiceCollection AddApiSwagger(this IServiceCollection services) =>
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "FaceService API",
                Version = "v1",
                Description = "Self-hosted face detection, verification, identification and clustering (FaceNet-style embeddings, " +
                              "squared L2 distances 0..4). Every error is RFC 7807 problem details with a stable `code`.",
            });
            o.IncludeXmlComments(typeof(Program).Assembly);
            o.SupportNonNullableReferenceTypes();
            o.MapType<CollectionName>(() => new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = CollectionName.MaxLength });
            o.MapType<SubjectId>(() => new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = SubjectId.MaxLength });
            o.OperationFilter<ProblemExamplesOperationFilter>();
            o.OperationFilter<AlsoAcceptsFormOperationFilter>();
            o.OperationFilter<JsonRequestExampleOperationFilter>();
            o.DocumentFilter<OperationsDocumentFilter>();
        });
}
