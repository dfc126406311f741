using System.Globalization;
using FaceService.Api.Infrastructure;
using FaceService.Core.Services;
using FaceService.Core.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;

namespace FaceService.Api.Errors;

/// <summary>
/// Which exceptions are answers rather than faults: the services' typed errors keep their status, outages become
/// 503 with Retry-After, unreadable bodies 400/413. Anything else is a fault (500 internal_error).
/// </summary>
public sealed class ExceptionProblems(IOptions<ApiLimitsOptions> limits, IOptions<ApiOptions> api, ILogger<ExceptionProblems> logger)
{
    /// <summary>The problem for a known exception (logged, Retry-After set), or null for a fault.</summary>
    public ProblemDetails? TryCreate(HttpContext http, Exception exception)
    {
        if (Classify(exception) is not var (error, detail, target)) return null;
        if (error.Status >= 500)
        {
            // An outage is expected to repeat for every request while it lasts: one line each, no stack trace.
            logger.LogWarning("Answering {Status} {Code}: {Reason}", error.Status, error.Code, exception.GetBaseException().Message);
            http.Response.Headers.RetryAfter = api.Value.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        }
        else
        {
            // The message is left out on purpose: it can quote subject ids and file names.
            logger.LogInformation("Request rejected with {Status} {Code} (field {Target})", error.Status, error.Code, target);
        }
        return ApiProblems.Create(http, error, detail, target);
    }

    private (ErrorDefinition Error, string Detail, string? Target)? Classify(Exception exception) => exception switch
    {
        FaceServiceException e => (ErrorCatalog.For(e.Error), e.Message, e.Target),
        StoreUnavailableException => (ErrorCatalog.DatabaseUnavailable, ErrorCatalog.DatabaseUnavailable.ExampleDetail, null),
        StoreOverloadedException e => (ErrorCatalog.Overloaded, e.Message + " Retry after the time in Retry-After.", null),
        OnnxRuntimeException => (ErrorCatalog.ModelUnavailable, ErrorCatalog.ModelUnavailable.ExampleDetail, null),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
            (ErrorCatalog.PayloadTooLarge, $"The request body is larger than the limit of {limits.Value.MaxRequestBytes} bytes.", null),
        BadHttpRequestException e => (ErrorCatalog.ValidationFailed, $"The request could not be read: {e.Message}", null),
        _ => null,
    };
}
