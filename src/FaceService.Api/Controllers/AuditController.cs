using FaceService.Api.Contracts;
using FaceService.Api.Errors;
using FaceService.Api.Security;
using FaceService.Api.Swagger;
using FaceService.Core.Naming;
using FaceService.Core.Security;
using Microsoft.AspNetCore.Mvc;

namespace FaceService.Api.Controllers;

/// <summary>The audit log: who enrolled, deleted or erased what, and when (admin role).</summary>
[Tags("Keys")]
[ProducesProblem(ErrorCodes.DatabaseUnavailable)]
[RequireRole(ApiKeyRole.Admin)]
public sealed class AuditController(AuditService audit) : ApiControllerBase
{
    /// <summary>The latest audit records, newest first.</summary>
    /// <param name="onlyCollection">Query parameter <c>collection</c>: only this collection's records (default: every collection the key administers).</param>
    /// <param name="limit">At most this many records (1..1000, default 100).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <response code="200">The records.</response>
    [HttpGet("audit")]
    [ProducesResponseType<AuditResponse>(StatusCodes.Status200OK, "application/json")]
    [ProducesProblem(ErrorCodes.ValidationFailed)]
    public async Task<ActionResult<AuditResponse>> GetAudit([FromQuery(Name = "collection")] CollectionName? onlyCollection, [FromQuery] int? limit, CancellationToken ct)
    {
        var records = await audit.QueryAsync(onlyCollection, limit, HttpContext.Caller().Scope, ct);
        return new AuditResponse { Records = records.Select(AuditRecordDto.From).ToList() };
    }
}
