using FaceService.Core.Faces;
using FaceService.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FaceService.Api.Health;

/// <summary>
/// The database answers and every migration is applied. With standbys, each host is reported (role, replay position,
/// schema): healthy with a primary; degraded (still ready: reads are served) with standbys only, when writes answer
/// 503 database_unavailable; unhealthy with none.
/// </summary>
public sealed class FaceStoreHealthCheck(DatabaseMigrator migrator, PgDatabase database) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!database.HasStandbys)
        {
            var readiness = await migrator.CheckReadinessAsync(cancellationToken);
            return readiness.IsReady ? HealthCheckResult.Healthy(readiness.Description) : HealthCheckResult.Unhealthy(readiness.Description);
        }

        var hosts = await database.CheckHostsAsync(migrator.CheckReadinessAsync, cancellationToken);
        var data = hosts.ToDictionary(h => h.Host, h => (object)Describe(h));
        var description = string.Join("; ", hosts.Select(h => $"{h.Host}: {Describe(h)}"));
        if (hosts.Any(h => h is { Role: DatabaseRole.Primary, Schema.IsReady: true })) return HealthCheckResult.Healthy(description, data);
        if (hosts.Any(h => h is { Role: DatabaseRole.Standby, Schema.IsReady: true }))
            return HealthCheckResult.Degraded($"No primary: reads are served by standbys, writes answer 503. {description}", data: data);
        return HealthCheckResult.Unhealthy(description, data: data);
    }

    private static string Describe(HostState host) => host switch
    {
        { Reachable: false } => $"unreachable ({host.Error})",
        { Role: DatabaseRole.Standby } => $"standby, replayed to {host.Replayed}" +
            (host.SinceLastReplay is { } since ? $", last replayed commit {since.TotalSeconds:0.0} s old" : "") + $"; {host.Schema?.Description}",
        _ => $"primary; {host.Schema?.Description}",
    };
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
