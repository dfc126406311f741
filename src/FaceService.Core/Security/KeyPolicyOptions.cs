using System.ComponentModel.DataAnnotations;

namespace FaceService.Core.Security;

/// <summary>Defaults for the keys the service and the command line make, bound from the "Keys" section.</summary>
public sealed class KeyPolicyOptions
{
    public const string SectionName = "Keys";
    public const int MaxRotationOverlapSeconds = 30 * 24 * 3600;

    /// <summary>
    /// The rate limit of a new key when its creator sets none. 6,000 a minute (100 a second) is about four times what
    /// the measured 2-core reference machine can run through the models (22-23 faces/s, docs/BENCHMARKS.md): a bulk job
    /// is paced by the concurrency gate (which protects the machine), not by this limit, while one runaway client of the
    /// cheap endpoints is still held to a share. 0: unlimited.
    /// </summary>
    [Range(0, ApiKey.MaxRequestsPerMinute)] public int DefaultRequestsPerMinute { get; set; } = 6_000;

    /// <summary>How long the old key keeps working after a rotation when the request does not say (one hour).</summary>
    [Range(0, MaxRotationOverlapSeconds)] public int DefaultRotationOverlapSeconds { get; set; } = 3600;
}
