using System.ComponentModel.DataAnnotations;

namespace FaceService.Api.Infrastructure;

/// <summary>How many model-running requests run at once and how many may wait, bound from the "Concurrency" section.</summary>
public sealed class InferenceConcurrencyOptions
{
    public const string SectionName = "Concurrency";

    /// <summary>Requests on the inference endpoints (detect, enroll, verify, identify, cluster) that run at once.</summary>
    [Range(1, 10_000)] public int MaxConcurrentRequests { get; set; } = 8;

    /// <summary>Requests that may wait for a slot; beyond that a request is refused at once with 503 overloaded.</summary>
    [Range(0, 100_000)] public int MaxQueuedRequests { get; set; } = 64;

    /// <summary>Longest wait for a slot before a queued request is refused with 503 overloaded.</summary>
    [Range(1, 600_000)] public int MaxQueueWaitMs { get; set; } = 10_000;

    /// <summary>Retry-After (seconds) sent with 503 overloaded.</summary>
    [Range(1, 3600)] public int RetryAfterSeconds { get; set; } = 1;
}
