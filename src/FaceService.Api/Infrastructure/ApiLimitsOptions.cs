using System.ComponentModel.DataAnnotations;

namespace FaceService.Api.Infrastructure;

/// <summary>Request limits of the HTTP API, bound from the "Limits" section (pixel limits are Inference:MaxImagePixels).</summary>
public sealed class ApiLimitsOptions : IValidatableObject
{
    public const string SectionName = "Limits";

    /// <summary>Largest uploaded file, in bytes.</summary>
    [Range(1024, 1L << 31)] public long MaxFileBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Most files one multipart request may carry.</summary>
    [Range(1, 10_000)] public int MaxFilesPerRequest { get; set; } = 32;

    /// <summary>Largest request body, in bytes (all files and fields together; also Kestrel's body limit).</summary>
    [Range(1024, 1L << 34)] public long MaxRequestBytes { get; set; } = 64 * 1024 * 1024;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxFileBytes > MaxRequestBytes)
            yield return new ValidationResult("MaxFileBytes may not exceed MaxRequestBytes.", [nameof(MaxFileBytes), nameof(MaxRequestBytes)]);
    }
}
