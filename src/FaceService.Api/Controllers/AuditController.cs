using FaceService.Api.Contracts;
using FaceService.Api.Errors;
using FaceService.Api.Security;
using FaceService.Api.Swagger;
using FaceService.Core.Security;
using FaceService.Core.Services;
using FaceService.Storage;
using Microsoft.AspNetCore.Mvc;

namespace FaceService.Api.Controllers;

/// <summary>The audit log: who enrolled, deleted or erased what, and when (admin role).</summary>
[Tags("Keys")]
[ProducesProblem(ErrorCodes.DatabaseUnavailable)]
[RequireRole(ApiKeyRole.Admin)]
public sealed class AuditController(IAuditLog log) : ApiControllerBase
{
    /// <summary>The latest audit records, newest first.</summary>
    /// <param name="onlyCollection">Query parameter <c>collection</c>: only this collection's records (default: every collection the key administers).</param>
    /// <param name="limit">At most this many records (1..1000, default 100).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <response code="200">The records.</response>
    [HttpGet("audit")]
    [ProducesResponseType<AuditResponse>(StatusCodes.Status200OK, "application/json")]
    [ProducesProblem(ErrorCodes.ValidationFailed)]
    public async Task<ActionResult<AuditResponse>> GetAudit([FromQuery(Name = "collection")] string? onlyCollection, [FromQuery] int? limit, CancellationToken ct)
    {
        var count = limit ?? 100;
        if (count is < 1 or > PgAuditLog.MaxLimit)
            throw new FaceServiceException(FaceServiceError.ValidationFailed, $"limit must be between 1 and {PgAuditLog.MaxLimit}.", "limit");
        var scope = HttpContext.Caller().Scope;
        if (!string.IsNullOrEmpty(onlyCollection) && !scope.Allows(ApiKeyRole.Admin, Identifiers.RequireCollection(onlyCollection)))
            return ApiProblems.Result(HttpContext, ErrorCatalog.Forbidden, $"This key may not admin collection '{onlyCollection}'.", "collection");
        // Without a collection, a scoped admin sees only its own collections' records.
        IReadOnlyCollection<string>? collections = !string.IsNullOrEmpty(onlyCollection) ? [onlyCollection]
            : scope.CoversAllCollections ? null : scope.Collections;
        return new AuditResponse { Records = (await log.QueryAsync(collections, count, ct)).Select(AuditRecordDto.From).ToList() };
    }
}
