using FaceService.Api.Errors;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace FaceService.Api.Infrastructure;

/// <summary>
/// Refuses a body that declares more than Limits:MaxRequestBytes before reading any of it, and caps bodies without a
/// declared length where the server supports it (Kestrel enforces the same limit itself; in-process test hosts do not).
/// </summary>
public sealed class RequestSizeLimitMiddleware(RequestDelegate next, IOptions<ApiLimitsOptions> options)
{
    private readonly long _maxRequestBytes = options.Value.MaxRequestBytes;

    public async Task InvokeAsync(HttpContext context, IProblemDetailsService problemDetails)
    {
        if (context.Request.ContentLength > _maxRequestBytes)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            // Connection: close, so that the client stops sending the body we will not read.
            context.Response.Headers.Connection = "close";
            await problemDetails.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = ApiProblems.Create(context, ErrorCatalog.PayloadTooLarge,
                    $"The request body declares {context.Request.ContentLength} bytes; at most {_maxRequestBytes} are accepted."),
            });
            return;
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
            sizeFeature.MaxRequestBodySize = _maxRequestBytes;
        await next(context);
    }
}
