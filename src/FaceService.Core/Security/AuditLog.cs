namespace FaceService.Core.Security;

/// <summary>Changes the audit log records.</summary>
public static class AuditActions
{
    public const string Enroll = "enroll";
    public const string DeleteFace = "delete_face";
    public const string DeleteSubject = "delete_subject";
    public const string DeleteCollection = "delete_collection";
    public const string CreateKey = "create_key";
    public const string RevokeKey = "revoke_key";
}

/// <summary>
/// Who changed what, and when. Never biometric data: no codes, no images, no image hashes (a hash ties a person to a
/// photo file). Subject ids are kept: an erasure record must say whose data was erased.
/// </summary>
public sealed record AuditEntry(
    string Action,
    string ActorKeyId,
    string ActorName,
    string? Collection,
    string? Subject,
    IReadOnlyList<Guid> FaceIds,
    int FaceCount,
    string? TargetKeyId,
    string? RequestId);

public sealed record AuditRecord(long AuditId, DateTimeOffset At, AuditEntry Entry);

/// <summary>An append-only record of changes.</summary>
public interface IAuditLog
{
    Task RecordAsync(AuditEntry entry, CancellationToken ct = default);

    /// <summary>The latest records, newest first; only those of <paramref name="collections"/> when given (null: all).</summary>
    Task<IReadOnlyList<AuditRecord>> QueryAsync(IReadOnlyCollection<string>? collections, int limit, CancellationToken ct = default);
}
