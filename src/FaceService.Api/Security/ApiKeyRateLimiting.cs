using System.Globalization;
using System.Text.Json;
using System.Threading.RateLimiting;
using FaceService.Api.Errors;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace FaceService.Api.Security;

/// <summary>
/// A fixed-window limit per API key, each key's own (requests without a key, keys without a limit, and the open health
/// and metrics endpoints, are not limited). Over the limit: 429 rate_limited with Retry-After (the framework's default
/// would be 503).
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
            // A key's limit never changes (rotation makes a new key), so its partition can be made once from it.
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                // Open endpoints (health, metrics) are not limited, even when the caller happens to send a key.
                settings.Enabled && http.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is null
                                 && ApiCaller.TryFrom(http.User) is { RequestsPerMinute: > 0 } caller
                    ? RateLimitPartition.GetFixedWindowLimiter(caller.KeyId, _ => new FixedWindowRateLimiterOptions
                    {
                        PermitLimit = caller.RequestsPerMinute,
                        Window = RateLimitOptions.Window,
                        QueueLimit = settings.QueueLimit,
                        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                    })
                    : RateLimitPartition.GetNoLimiter(""));
        });
        return services;
    }

    private static async ValueTask RejectAsync(OnRejectedContext context, CancellationToken ct)
    {
        var http = context.HttpContext;
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait)
            ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))
            : (int)RateLimitOptions.Window.TotalSeconds;
        http.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        var problem = ApiProblems.Create(http, ErrorCatalog.RateLimited,
            $"This key made more than its {ApiCaller.TryFrom(http.User)?.RequestsPerMinute} requests a minute; retry after {retryAfter} s.");
        await http.Response.WriteAsJsonAsync(problem, (JsonSerializerOptions?)null, ApiProblems.ContentType, ct);
    }
}
