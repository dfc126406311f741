using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.RateLimiting;
using FaceService.Api.Errors;
using Microsoft.Extensions.Options;

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

/// <summary>Marks a controller or action whose requests run the face models and so count against the inference limit.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class InferenceWorkAttribute : Attribute;

/// <summary>
/// A bounded queue in front of the inference endpoints: at most MaxConcurrentRequests run, at most MaxQueuedRequests
/// wait (oldest first) and none waits longer than MaxQueueWaitMs. Overload is answered at once with 503 overloaded and
/// Retry-After, so that a burst sheds load instead of making every request time out. A standalone limiter rather than
/// the rate-limiting middleware, whose single rejection handler belongs to the per-key rate limits.
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

public static class InferenceConcurrencyRegistration
{
    public static IServiceCollection AddInferenceConcurrencyLimit(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<InferenceConcurrencyOptions>().Bind(configuration.GetSection(InferenceConcurrencyOptions.SectionName))
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<InferenceRequestTracker>();
        services.AddHostedService<InferenceShutdownDrain>();
        return services;
    }
}

/// <summary>Counts the requests running on the inference endpoints (past the queue, inside the models' pipeline).</summary>
public sealed class InferenceRequestTracker
{
    private int _running;

    public int Running => Volatile.Read(ref _running);

    /// <summary>Counts a request until the returned handle is disposed.</summary>
    public IDisposable Enter()
    {
        Interlocked.Increment(ref _running);
        return new Exit(this);
    }

    private sealed class Exit(InferenceRequestTracker tracker) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) Interlocked.Decrement(ref tracker._running);
        }
    }
}

/// <summary>
/// Holds the host's disposal back until no inference request is running. Normally there is none left when the host
/// stops (the server waits for them), but when Api:ShutdownTimeoutSeconds runs out the server cuts their connections
/// while their threads may still be inside an ONNX Runtime or Skia call; disposing the models under them crashed the
/// process (SIGSEGV). The cut requests see their cancellation at the pipeline's next stage, so this wait is short.
/// </summary>
public sealed class InferenceShutdownDrain(InferenceRequestTracker tracker, ILogger<InferenceShutdownDrain> logger) : IHostedLifecycleService
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    // Runs after every hosted service's StopAsync, the server's included; deliberately not bound by the shutdown
    // token, which has run out when this matters.
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        if (tracker.Running == 0) return;
        logger.LogWarning("Shutdown timeout passed with {Running} inference requests still running (their connections are closed); " +
                          "waiting for their model runs to end before the models are released", tracker.Running);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (tracker.Running > 0) await Task.Delay(Poll, CancellationToken.None);
        logger.LogWarning("Inference requests ended {ElapsedMs} ms after the shutdown timeout", watch.ElapsedMilliseconds);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
