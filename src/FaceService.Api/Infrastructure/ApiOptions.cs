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
}
