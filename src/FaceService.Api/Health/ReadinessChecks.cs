using FaceService.Core.Faces;
using FaceService.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FaceService.Api.Health;

/// <summary>The database answers and every migration is applied.</summary>
public sealed class FaceStoreHealthCheck(DatabaseMigrator migrator) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var readiness = await migrator.CheckReadinessAsync(cancellationToken);
        return readiness.IsReady ? HealthCheckResult.Healthy(readiness.Description) : HealthCheckResult.Unhealthy(readiness.Description);
    }
}

/// <summary>The face models are loaded (the pipeline is built at start-up, so this reports which model serves).</summary>
public sealed class FaceModelsHealthCheck(IServiceProvider services) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var modelId = services.GetRequiredService<IFacePipeline>().ModelId;
            return Task.FromResult(HealthCheckResult.Healthy($"Models loaded: {modelId}."));
        }
        catch (Exception e)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The face models could not be loaded.", e));
        }
    }
}
