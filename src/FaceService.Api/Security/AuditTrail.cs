using FaceService.Core.Security;
using FaceService.Core.Storage;

namespace FaceService.Api.Security;

/// <summary>
/// Writes the audit record of a change the request made, as the request's key. The record is written after the change
/// committed; if the database fails in between, the change stands and the loss is logged as an error (without the
/// subject id).
/// </summary>
public sealed class AuditTrail(IAuditLog log, ILogger<AuditTrail> logger)
{
    public async Task RecordAsync(HttpContext http, string action, string? collection, string? subject, IReadOnlyList<Guid> faceIds,
        int faceCount, string? targetKeyId = null)
    {
        var caller = http.Caller();
        var entry = new AuditEntry(action, caller.KeyId, caller.Name, collection, subject, faceIds, faceCount, targetKeyId, http.TraceIdentifier);
        try
        {
            // Not the request's token: a client that hangs up after the change must not cancel its record.
            await log.RecordAsync(entry, CancellationToken.None);
        }
        catch (StoreUnavailableException e)
        {
            logger.LogError(e, "Audit record lost: {Action} by key {KeyId} in collection {Collection} ({FaceCount} faces), request {RequestId}",
                action, caller.KeyId, collection, faceCount, http.TraceIdentifier);
        }
    }
}
