using FaceService.Storage;

namespace FaceService.Api.Infrastructure;

/// <summary>
/// Applies the schema migrations before the server takes requests. A database that is still starting (compose,
/// reboots) is waited for, with backoff, up to Api:DatabaseStartupWaitSeconds; after that start-up fails.
/// </summary>
public sealed class DatabaseMigrationService(DatabaseMigrator migrator, Microsoft.Extensions.Options.IOptions<ApiOptions> options, ILogger<DatabaseMigrationService> logger)
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
                return;
            }
            catch (Core.Storage.StoreUnavailableException e) when (DateTimeOffset.UtcNow + delay < deadline)
            {
                logger.LogWarning("Database not reachable for migrations ({Reason}); retrying in {Delay} s", e.Message, delay.TotalSeconds);
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 15));
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
