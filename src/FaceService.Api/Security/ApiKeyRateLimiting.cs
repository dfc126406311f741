using System.Globalization;
using System.Text.Json;
using System.Threading.RateLimiting;
using FaceService.Api.Errors;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace FaceService.Api.Security;

/// <summary>
/// A fixed-window limit per API key (requests without a key, and the open health and metrics endpoints, are not limited). Over the limit:
/// 429 rate_limited with Retry-After (the framework's default would be 503).
/// </summary>
public static class ApiKeyRateLimiting
{
    public static IServiceCollection AddApiKeyRateLimiting(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptionsWithValidateOnStart<RateLimitOptions>().Bind(configuration.GetSection(RateLimitOptions.SectionName)).ValidateDataAnnotations();
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = RejectAsync;
        });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitOptions>>((o, limits) =>
        {
            var settings = limits.Value;
            var window = new FixedWindowRateLimiterOptions
            {
                PermitLimit = settings.PermitsPerWindow,
                Window = TimeSpan.FromSeconds(settings.WindowSeconds),
                QueueLimit = settings.QueueLimit,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            };
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                // Open endpoints (health, metrics) are not limited, even when the caller happens to send a key.
                settings.Enabled && http.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is null && ApiCaller.TryFrom(http.User) is { } caller
                    ? RateLimitPartition.GetFixedWindowLimiter(caller.KeyId, _ => window)
                    : RateLimitPartition.GetNoLimiter(""));
        });
        return services;
    }

    private static async ValueTask RejectAsync(OnRejectedContext context, CancellationToken ct)
    {
        var http = context.HttpContext;
        var limits = http.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait)
            ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))
            : limits.WindowSeconds;
        http.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        var problem = ApiProblems.Create(http, ErrorCatalog.RateLimited,
            $"This key made more than {limits.PermitsPerWindow} requests in {limits.WindowSeconds} s; retry after {retryAfter} s.");
        await http.Response.WriteAsJsonAsync(problem, (JsonSerializerOptions?)null, ApiProblems.ContentType, ct);
    }
}
