using System.ComponentModel.DataAnnotations;

namespace FaceService.Api.Infrastructure;

/// <summary>Host behaviour, bound from the "Api" section.</summary>
public sealed class ApiOptions
{
    public const string SectionName = "Api";

    /// <summary>Retry-After (seconds) sent with 503 database_unavailable / model_unavailable.</summary>
    [Range(1, 3600)] public int RetryAfterSeconds { get; set; } = 5;

    /// <summary>How long start-up waits for an unreachable database before it gives up.</summary>
    [Range(0, 3600)] public int DatabaseStartupWaitSeconds { get; set; } = 60;

    /// <summary>
    /// On SIGTERM, how long requests already accepted (running or queued for the models) may take to finish before
    /// their connections are cut. Shutdown ends as soon as they are done; this is only the bound. Must exceed
    /// Concurrency:MaxQueueWaitMs, so that a request queued just before the signal can still run; the orchestrator's
    /// grace period (terminationGracePeriodSeconds, stop_grace_period) must exceed it in turn.
    /// </summary>
    [Range(1, 3600)] public int ShutdownTimeoutSeconds { get; set; } = 30;
}
