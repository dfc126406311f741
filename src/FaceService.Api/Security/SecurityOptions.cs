using System.ComponentModel.DataAnnotations;

namespace FaceService.Api.Security;

/// <summary>Authentication, bound from the "Auth" section.</summary>
public sealed class AuthOptions : IValidatableObject
{
    public const string SectionName = "Auth";
    public const int MinBootstrapKeyLength = 32;

    /// <summary>Off only for local development: every request is then an admin of every collection (loud start-up warning).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// An admin key for every collection, from configuration or the environment (Auth__BootstrapAdminKey), used to
    /// create the real keys. At least 32 characters; compared in constant time; never logged.
    /// </summary>
    public string? BootstrapAdminKey { get; set; }

    /// <summary>Whether /metrics needs an admin key (default: open, like the health endpoints).</summary>
    public bool MetricsRequireAdmin { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // The message never quotes the key.
        if (BootstrapAdminKey is { Length: > 0 } key && (key.Length < MinBootstrapKeyLength || key.Any(char.IsWhiteSpace)))
            yield return new ValidationResult(
                $"Auth:BootstrapAdminKey must have at least {MinBootstrapKeyLength} characters and no white space (e.g. openssl rand -base64 32).",
                [nameof(BootstrapAdminKey)]);
    }
}

/// <summary>
/// The per-key rate limiter, bound from the "RateLimit" section: each key's own limit (set when it is made, see
/// Keys:DefaultRequestsPerMinute) over fixed one-minute windows. It keeps keys fair to each other; the concurrency gate,
/// not this limiter, protects the machine.
/// </summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "RateLimit";
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    public bool Enabled { get; set; } = true;

    /// <summary>The bootstrap admin key's limit; 0 (default): unlimited, so an operator's first bulk job is paced by the machine only.</summary>
    [Range(0, Core.Security.ApiKey.MaxRequestsPerMinute)] public int BootstrapRequestsPerMinute { get; set; }

    /// <summary>Requests over the limit that wait for the next window instead of being refused (default 0: refuse at once).</summary>
    [Range(0, 10_000)] public int QueueLimit { get; set; }
}
