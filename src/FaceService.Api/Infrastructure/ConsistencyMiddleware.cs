using FaceService.Api.Errors;
using FaceService.Storage;
using NpgsqlTypes;

namespace FaceService.Api.Infrastructure;

/// <summary>
/// Marks a POST action that only reads the database (identify, verify, cluster of stored faces): its reads may go to a
/// hot standby, as every GET's do.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class StandbyReadsAttribute : Attribute;

/// <summary>
/// Read-your-writes over hot standbys (docs/SCALING.md, section 4). Every answer to a request that wrote carries
/// <c>Consistency-Token</c> (the primary's WAL position after the write); a request that sends it back has its reads
/// served by a standby only once that standby has replayed so far, else by the primary. GET requests and actions
/// marked <see cref="StandbyReadsAttribute"/> may read from a standby; every other request reads and writes on the
/// primary. With a standby configured, answers that read say where from in <c>X-Read-From</c> (primary or standby).
/// </summary>
public sealed class ConsistencyMiddleware(RequestDelegate next)
{
    public const string TokenHeader = "Consistency-Token";
    public const string ReadFromHeader = "X-Read-From";

    public async Task InvokeAsync(HttpContext context, IProblemDetailsService problemDetails)
    {
        NpgsqlLogSequenceNumber? readAfter = null;
        if (context.Request.Headers.TryGetValue(TokenHeader, out var sent))
        {
            if (sent is not [{ } text] || !NpgsqlLogSequenceNumber.TryParse(text, out var position))
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                await problemDetails.WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails = ApiProblems.Create(context, ErrorCatalog.InvalidConsistencyToken,
                        $"The {TokenHeader} header must be one value as a write answer gave it (such as 0/16B3F48)."),
                });
                return;
            }
            readAfter = position;
        }

        var standbyReads = HttpMethods.IsGet(context.Request.Method)
                           || context.GetEndpoint()?.Metadata.GetMetadata<StandbyReadsAttribute>() is not null;
        var scope = ConsistencyScope.Begin(standbyReads, readAfter);
        context.Response.OnStarting(() =>
        {
            if (scope.Written is { } written) context.Response.Headers[TokenHeader] = written.ToString();
            if (scope.ReadFrom is { } role) context.Response.Headers[ReadFromHeader] = role == DatabaseRole.Standby ? "standby" : "primary";
            return Task.CompletedTask;
        });
        await next(context);
    }
}
