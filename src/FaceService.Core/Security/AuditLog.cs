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
    public const string RotateKey = "rotate_key";
    public const string Index = "index";
    public const string NameCluster = "name_cluster";
    public const string RenameSubject = "rename_subject";
    public const string MergeSubjects = "merge_subjects";
    public const string MoveFace = "move_face";
    public const string DeleteCluster = "delete_cluster";
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
    string? RequestId,
    string? FromSubject = null);

public sealed record AuditRecord(long AuditId, DateTimeOffset At, AuditEntry Entry);

/// <summary>
/// Who makes a change: an API key (or the operator at the command line) and the request. The stores write the audit
/// record in the transaction of the change it describes, so that both commit or neither does.
/// </summary>
public sealed record AuditActor(string KeyId, string Name, string? RequestId)
{
    public AuditEntry Entry(string action, string? collection, string? subject, IReadOnlyList<Guid> faceIds, int faceCount,
        string? targetKeyId = null, string? fromSubject = null) =>
        new(action, KeyId, Name, collection, subject, faceIds, faceCount, targetKeyId, RequestId, fromSubject);
}

/// <summary>The append-only record of changes, for reading; records are written by the stores with their changes.</summary>
public interface IAuditLog
{
    /// <summary>The latest records, newest first; only those of <paramref name="collections"/> when given (null: all).</summary>
    Task<IReadOnlyList<AuditRecord>> QueryAsync(IReadOnlyCollection<string>? collections, int limit, CancellationToken ct = default);
}
