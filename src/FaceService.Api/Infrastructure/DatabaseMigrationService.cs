using FaceService.Core.Faces;
using FaceService.Core.Storage;
using FaceService.Storage;

namespace FaceService.Api.Infrastructure;

/// <summary>
/// Applies the schema migrations before the server takes requests. A database that is still starting (compose,
/// reboots) is waited for, with backoff, up to Api:DatabaseStartupWaitSeconds; after that start-up fails. Then it warns
/// about faces stored under another model id than the one serving: searches never compare them (after an upgrade that
/// changed the default chips, say), and an operator should hear so at start-up rather than from missing matches.
/// The pipeline is resolved only after the migrations, since its recognition precision (Auto) follows the stored faces.
/// </summary>
public sealed class DatabaseMigrationService(DatabaseMigrator migrator, IFaceStore store, IServiceProvider services,
    Microsoft.Extensions.Options.IOptions<ApiOptions> options, ILogger<DatabaseMigrationService> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(options.Value.DatabaseStartupWaitSeconds);
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                await migrator.MigrateAsync(cancellationToken);
                break;
            }
            catch (Core.Storage.StoreUnavailableException e) when (DateTimeOffset.UtcNow + delay < deadline)
            {
                logger.LogWarning("Database not reachable for migrations ({Reason}); retrying in {Delay} s", e.Message, delay.TotalSeconds);
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 15));
            }
        }

        var pipeline = services.GetRequiredService<IFacePipeline>();
        foreach (var (modelId, faces) in await store.CountFacesByModelAsync(cancellationToken))
            if (modelId != pipeline.ModelId)
                logger.LogWarning("{Faces} stored faces were embedded by model {StoredModelId}, not by the serving model {ModelId}: " +
                                  "searches do not compare them. Re-enroll them, or serve that model again (docs/API.md, Limits and configuration)",
                    faces, modelId, pipeline.ModelId);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
