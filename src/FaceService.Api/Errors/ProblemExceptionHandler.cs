using Microsoft.AspNetCore.Diagnostics;

namespace FaceService.Api.Errors;

/// <summary>
/// The last resort for exceptions that leave the endpoints: known ones as their problem, everything else as
/// 500 internal_error (logged with its stack; the client sees only the trace id).
/// </summary>
public sealed class ProblemExceptionHandler(IProblemDetailsService problemDetails, ExceptionProblems problems, ILogger<ProblemExceptionHandler> logger)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && http.RequestAborted.IsCancellationRequested)
        {
            // The client is gone; there is no one to answer. 499 is what the request log shows.
            logger.LogInformation("Request aborted by the client");
            http.Response.StatusCode = 499;
            return true;
        }

        var problem = problems.TryCreate(http, exception);
        if (problem is null)
        {
            logger.LogError(exception, "Unhandled exception; answering 500 internal_error");
            problem = ApiProblems.Create(http, ErrorCatalog.InternalError, ErrorCatalog.InternalError.ExampleDetail);
        }
        http.Response.StatusCode = problem.Status!.Value;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem, Exception = exception });
    }
}
