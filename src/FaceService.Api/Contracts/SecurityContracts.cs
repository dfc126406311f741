using System.Diagnostics.CodeAnalysis;
using FaceService.Core.Security;

namespace FaceService.Api.Contracts;

/// <summary>A new API key.</summary>
public sealed class CreateKeyRequest
{
    /// <summary>Who or what uses the key: 1 to 128 characters (shown in the audit log).</summary>
    /// <example>front-desk kiosk</example>
    public string? Name { get; init; }

    /// <summary>Collections the key may use, or ["*"] for every collection. A key can only create keys within its own scope.</summary>
    /// <example>["visitors"]</example>
    public List<string>? Collections { get; init; }

    /// <summary>read (detect, verify, identify, cluster, list), write (also enroll and delete), admin (also keys, collections, audit).</summary>
    /// <example>["write"]</example>
    public List<string>? Roles { get; init; }

    /// <summary>When the key stops working (401 key_expired from then on); omit for a key without an end.</summary>
    /// <example>2027-06-30T00:00:00Z</example>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>The key's rate limit, 0 (unlimited) to 1,000,000; omit for the configured default (Keys:DefaultRequestsPerMinute, 6,000).</summary>
    /// <example>6000</example>
    public int? RequestsPerMinute { get; init; }
}

/// <summary>Rotation of a key: a new key with the same name, scope and rate limit; the old one works for the overlap.</summary>
public sealed class RotateKeyRequest
{
    /// <summary>How long the old key keeps working, 0 to 2,592,000 s (30 days); default Keys:DefaultRotationOverlapSeconds (3,600).</summary>
    /// <example>3600</example>
    public int? OverlapSeconds { get; init; }

    /// <summary>When the new key stops working; default: the old key's lifetime again from now, or no end if it had none.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
}

/// <summary>An API key as listed: never its text or its hash.</summary>
public class ApiKeyDto
{
    public ApiKeyDto() { }

    [SetsRequiredMembers]
    protected ApiKeyDto(ApiKey k)
    {
        (KeyId, Name, Roles, Collections, CreatedAt, CreatedBy) = (k.KeyId, k.Name, k.Scope.RoleNames, k.Scope.Collections, k.CreatedAt, k.CreatedBy);
        (RevokedAt, ExpiresAt, RequestsPerMinute) = (k.RevokedAt, k.ExpiresAt, k.RequestsPerMinute);
    }

    /// <example>5f1c2a9e7b3d4c60</example>
    public required string KeyId { get; init; }

    /// <example>front-desk kiosk</example>
    public required string Name { get; init; }

    /// <summary>The key's roles, implied ones included (write → read, write).</summary>
    public required IReadOnlyList<string> Roles { get; init; }

    /// <summary>Collection names, or ["*"] for every collection.</summary>
    public required IReadOnlyList<string> Collections { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>The key id that created it ("bootstrap" for the configured admin key).</summary>
    public required string CreatedBy { get; init; }

    /// <summary>When it was revoked; null while it is valid.</summary>
    public DateTimeOffset? RevokedAt { get; init; }

    /// <summary>When it stops (or stopped) working; null: no end.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Its rate limit; 0: unlimited.</summary>
    /// <example>6000</example>
    public required int RequestsPerMinute { get; init; }

    public static ApiKeyDto From(ApiKey k) => new(k);
}

/// <summary>A created key, with its text: shown this once, never stored, not recoverable.</summary>
public class CreatedKeyResponse : ApiKeyDto
{
    public CreatedKeyResponse() { }

    [SetsRequiredMembers]
    public CreatedKeyResponse(IssuedApiKey issued) : base(issued.Key) => Key = issued.Text;

    /// <summary>The key to send as X-API-Key (or Authorization: Bearer). Store it now: it cannot be shown again.</summary>
    /// <example>fs_5f1c2a9e7b3d4c60_q2Vf0d4vH6m8d7Zr1bE3xW9yK5tN0pL2sA4cJ8uG6iQ</example>
    public required string Key { get; init; }
}

/// <summary>The key made by a rotation (its text shown this once), and until when the key it replaces still works.</summary>
public sealed class RotatedKeyResponse : CreatedKeyResponse
{
    public RotatedKeyResponse() { }

    [SetsRequiredMembers]
    public RotatedKeyResponse(RotatedApiKey rotated) : base(rotated.Issued) =>
        (ReplacedKeyId, ReplacedKeyExpiresAt) = (rotated.ReplacedKeyId, rotated.ReplacedKeyExpiresAt);

    /// <example>5f1c2a9e7b3d4c60</example>
    public required string ReplacedKeyId { get; init; }

    /// <summary>The end of the overlap: the replaced key answers 401 key_expired from then on.</summary>
    public required DateTimeOffset ReplacedKeyExpiresAt { get; init; }
}

public sealed class ApiKeysResponse
{
    public required IReadOnlyList<ApiKeyDto> Keys { get; init; }
}

/// <summary>One audit record: who changed what, and when. No biometric data.</summary>
public sealed class AuditRecordDto
{
    public required long AuditId { get; init; }
    public required DateTimeOffset At { get; init; }

    /// <summary>enroll, index, name_cluster, rename_subject, merge_subjects, move_face, delete_face, delete_cluster,
    /// delete_subject, delete_collection, create_key, rotate_key or revoke_key.</summary>
    /// <example>enroll</example>
    public required string Action { get; init; }

    public required string KeyId { get; init; }
    public required string KeyName { get; init; }
    public string? Collection { get; init; }
    /// <summary>The subject changed or erased; for a change of name, the name the faces have after it.</summary>
    public string? Subject { get; init; }

    /// <summary>For a change of name (rename, merge, a face moved): the subject the faces had before; null for unnamed faces.</summary>
    public string? FromSubject { get; init; }

    public required IReadOnlyList<Guid> FaceIds { get; init; }

    /// <summary>Faces added or removed.</summary>
    public required int FaceCount { get; init; }

    /// <summary>The key created or revoked.</summary>
    public string? TargetKeyId { get; init; }

    /// <summary>The request's id (requestId of its answer and log line).</summary>
    public string? RequestId { get; init; }

    public static AuditRecordDto From(AuditRecord r) => new()
    {
        AuditId = r.AuditId, At = r.At, Action = r.Entry.Action, KeyId = r.Entry.ActorKeyId, KeyName = r.Entry.ActorName,
        Collection = r.Entry.Collection, Subject = r.Entry.Subject, FromSubject = r.Entry.FromSubject, FaceIds = r.Entry.FaceIds, FaceCount = r.Entry.FaceCount,
        TargetKeyId = r.Entry.TargetKeyId, RequestId = r.Entry.RequestId,
    };
}

public sealed class AuditResponse
{
    public required IReadOnlyList<AuditRecordDto> Records { get; init; }
}
