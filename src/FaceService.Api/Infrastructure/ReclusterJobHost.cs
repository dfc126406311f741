using FaceService.Core.Services;
using FaceService.Core.Storage;

namespace FaceService.Api.Infrastructure;

/// <summary>
/// Runs recluster jobs in the background (<see cref="ReclusterJobRunner"/>): one at a time per process, any replica may
/// take a queued job, and a job left running by a process that stopped is taken up again once its heartbeat is stale.
/// The runner (and with it the face pipeline) is resolved when the host starts, not when it builds its hosted services:
/// the pipeline's recognition precision (Auto) follows the stored faces, which the migration service comes first to.
/// </summary>
public sealed class ReclusterJobHost(IServiceProvider services, ILogger<ReclusterJobHost> logger) : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var runner = services.GetRequiredService<ReclusterJobRunner>();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await runner.RunNextAsync(stoppingToken)) continue;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is StoreUnavailableException or StoreOverloadedException)
            {
                logger.LogDebug(e, "Recluster jobs not polled: the database is unavailable");
            }
            try
            {
                await Task.Delay(PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
