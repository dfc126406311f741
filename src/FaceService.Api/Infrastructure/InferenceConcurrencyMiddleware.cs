using System.Globalization;
using System.Threading.RateLimiting;
using FaceService.Api.Errors;
using Microsoft.Extensions.Options;

namespace FaceService.Api.Infrastructure;

/// <summary>
/// A bounded queue in front of the inference endpoints: at most MaxConcurrentRequests run, at most MaxQueuedRequests
/// wait (oldest first) and none waits longer than MaxQueueWaitMs. Overload is answered at once with 503 overloaded and
/// Retry-After, so that a burst sheds load instead of making every request time out. A standalone limiter rather than
/// the rate-limiting middleware, whose single rejection handler belongs to the per-key rate limits.
/// <para>A request takes its place only once its body has fully arrived: a client that uploads slowly, or stalls, waits
/// on its own connection (within the size limits and Kestrel's minimum data rate, which drop it in the end), not in a
/// slot or the queue, where it would hold back requests that are ready to run.</para>
/// </summary>
public sealed class InferenceConcurrencyMiddleware(RequestDelegate next, IOptions<InferenceConcurrencyOptions> options,
    InferenceRequestTracker tracker, ILogger<InferenceConcurrencyMiddleware> logger)
{
    private readonly InferenceConcurrencyOptions _options = options.Value;

    private readonly ConcurrencyLimiter _limiter = new(new ConcurrencyLimiterOptions
    {
        PermitLimit = options.Value.MaxConcurrentRequests,
        QueueLimit = options.Value.MaxQueuedRequests,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });

    public async Task InvokeAsync(HttpContext context, IProblemDetailsService problemDetails)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<InferenceWorkAttribute>() is null)
        {
            await next(context);
            return;
        }

        await ReadBodyAsync(context.Request, context.RequestAborted);
        if (context.RequestAborted.IsCancellationRequested) return;
        using var lease = await AcquireAsync(context.RequestAborted);
        if (lease is not { IsAcquired: true })
        {
            if (context.RequestAborted.IsCancellationRequested) return;
            logger.LogWarning("Answering 503 overloaded: {Running} running, queue full or wait over {WaitMs} ms",
                _options.MaxConcurrentRequests, _options.MaxQueueWaitMs);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = _options.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            await problemDetails.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = ApiProblems.Create(context, ErrorCatalog.Overloaded,
                    $"More than {_options.MaxConcurrentRequests} requests are running and {_options.MaxQueuedRequests} waiting; retry after the time in Retry-After."),
            });
            return;
        }
        using var running = tracker.Enter();
        await next(context);
    }

    // Bodies up to this size wait in memory, larger ones in a temporary file: a few hundred queued photos stay small.
    private const int BodyMemoryThreshold = 1024 * 1024;

    /// <summary>
    /// Receives the whole body before the request is admitted, buffered and rewound, so that the action reads it as it
    /// would have read it from the connection (the upload filter's per-file limits and error answers unchanged). A body
    /// over the size limit fails here as it would have there (413), through the exception handler.
    /// </summary>
    private static async Task ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        request.EnableBuffering(BodyMemoryThreshold);
        try
        {
            await request.Body.CopyToAsync(Stream.Null, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return; // the client went away; nothing to answer
        }
        request.Body.Position = 0;
    }

    /// <summary>A lease, or null when the wait ran out or the client went away.</summary>
    private async Task<RateLimitLease?> AcquireAsync(CancellationToken requestAborted)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        wait.CancelAfter(_options.MaxQueueWaitMs);
        try
        {
            return await _limiter.AcquireAsync(1, wait.Token);
        }
        catch (OperationCanceledException) when (wait.IsCancellationRequested)
        {
            return null;
        }
    }
}
