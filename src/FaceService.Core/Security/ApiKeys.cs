using System.Security.Cryptography;
using System.Text;
using FaceService.Core.Naming;
using FaceService.Core.Services;

namespace FaceService.Core.Security;

/// <summary>What a key may do; each role includes the ones below it (admin ⊃ write ⊃ read).</summary>
public enum ApiKeyRole
{
    /// <summary>detect, verify, identify, cluster, list and inspect subjects and collections.</summary>
    Read = 1,

    /// <summary>enroll, delete faces and subjects.</summary>
    Write = 2,

    /// <summary>delete collections, manage keys, read the audit log.</summary>
    Admin = 3,
}

/// <summary>The collections a key may use and its role in them. "*" stands for every collection, present and future.</summary>
public sealed record ApiKeyScope(ApiKeyRole Role, IReadOnlyList<string> Collections)
{
    public const string AllCollections = "*";

    public bool CoversAllCollections => Collections.Contains(AllCollections);

    public bool Allows(ApiKeyRole role, string collection) =>
        Role >= role && (CoversAllCollections || Collections.Contains(collection, StringComparer.Ordinal));

    /// <summary>Whether this scope includes all of <paramref name="other"/> (a key may only hand out what it has).</summary>
    public bool Covers(ApiKeyScope other) =>
        Role >= other.Role && (CoversAllCollections || (!other.CoversAllCollections && other.Collections.All(c => Collections.Contains(c, StringComparer.Ordinal))));

    /// <summary>The role names a key has, the implied ones included: write → ["read", "write"].</summary>
    public IReadOnlyList<string> RoleNames => Enum.GetValues<ApiKeyRole>().Where(r => r <= Role).Select(RoleName).ToList();

    /// <summary>
    /// The collection a key's audit records are filed under: its only collection, so that that collection's admins see
    /// them; null for a key of several collections or of "*".
    /// </summary>
    public string? AuditCollection => Collections is [var only] && only != AllCollections ? only : null;

    public static string RoleName(ApiKeyRole role) => role.ToString().ToLowerInvariant();

    /// <summary>A scope from caller input: role names (the highest counts) and collection names or "*".</summary>
    /// <exception cref="FaceServiceException">validation_failed, naming the field.</exception>
    public static ApiKeyScope Parse(IReadOnlyCollection<string>? roles, IReadOnlyCollection<string>? collections)
    {
        if (roles is null || roles.Count == 0) throw Invalid("At least one role is required: read, write or admin.", "roles");
        var parsed = roles.Select(r => Enum.TryParse<ApiKeyRole>(r, ignoreCase: true, out var role) && Enum.IsDefined(role) && !int.TryParse(r, out _)
            ? role
            : throw Invalid($"Unknown role '{r}'; roles are read, write and admin.", "roles")).ToList();

        if (collections is null || collections.Count == 0) throw Invalid("At least one collection (or \"*\" for all) is required.", "collections");
        foreach (var collection in collections)
            if (collection != AllCollections && (string.IsNullOrEmpty(collection) || CollectionName.TryCreate(collection, out _) is null))
                throw Invalid($"'{collection}' is not a collection name: 1 to {CollectionName.MaxLength} letters, digits, '_', '.' or '-', starting with a letter or digit, or \"*\".", "collections");
        var names = collections.Contains(AllCollections) ? [AllCollections] : collections.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return new ApiKeyScope(parsed.Max(), names);
    }

    private static FaceServiceException Invalid(string message, string field) => new(FaceServiceError.ValidationFailed, message, field);
}

/// <summary>A stored API key, without its secret.</summary>
/// <param name="ExpiresAt">When it stops working (401 key_expired from then on); null: never.</param>
/// <param name="RequestsPerMinute">Its rate limit; 0: unlimited.</param>
public sealed record ApiKey(string KeyId, string Name, ApiKeyScope Scope, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? RevokedAt,
    DateTimeOffset? ExpiresAt, int RequestsPerMinute)
{
    public const int MaxNameLength = 128;

    /// <summary>The highest per-key rate limit that can be set (a million requests a minute).</summary>
    public const int MaxRequestsPerMinute = 1_000_000;

    public bool IsExpired(DateTimeOffset now) => ExpiresAt <= now;

    /// <summary>Neither revoked nor expired.</summary>
    public bool IsValid(DateTimeOffset now) => RevokedAt is null && !IsExpired(now);

    /// <summary>A key's name from caller input, trimmed.</summary>
    /// <exception cref="FaceServiceException">validation_failed on "name".</exception>
    public static string RequireName(string? name)
    {
        var trimmed = name?.Trim();
        return string.IsNullOrEmpty(trimmed) || trimmed.Length > MaxNameLength || trimmed.Any(char.IsControl)
            ? throw new FaceServiceException(FaceServiceError.ValidationFailed, $"name is 1 to {MaxNameLength} characters without control characters.", "name")
            : trimmed;
    }
}

/// <summary>A key just created, with its text: shown once to whoever created it, never stored.</summary>
public sealed record IssuedApiKey(ApiKey Key, string Text);

/// <summary>A key made by rotation, and the old key's new end (the overlap during which both work).</summary>
public sealed record RotatedApiKey(IssuedApiKey Issued, string ReplacedKeyId, DateTimeOffset ReplacedKeyExpiresAt);

/// <summary>A stored key with the SHA-256 of its full text, for checking a presented key.</summary>
public sealed record ApiKeyCredential(ApiKey Key, byte[] KeySha256);

/// <summary>
/// The text of an API key: "fs_" + 16 hex id + "_" + 32 random bytes in base64url. The id finds the row; only the SHA-256
/// of the whole text is stored. 256 random bits cannot be guessed, so a fast hash suffices (a slow KDF protects
/// low-entropy passwords, not random keys).
/// </summary>
public static class ApiKeySecret
{
    public const string Prefix = "fs_";
    private const int IdBytes = 8;
    private const int SecretBytes = 32;

    /// <summary>A new key: its id and its full text (shown to the caller once, never stored).</summary>
    public static (string KeyId, string Key) Generate()
    {
        var keyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(IdBytes));
        var secret = Base64UrlEncode(RandomNumberGenerator.GetBytes(SecretBytes));
        return (keyId, $"{Prefix}{keyId}_{secret}");
    }

    /// <summary>The key id of a well-formed key text; false for anything else (nothing is looked up for it).</summary>
    public static bool TryParseKeyId(string? key, out string keyId)
    {
        keyId = "";
        if (key is null || key.Length != Prefix.Length + IdBytes * 2 + 1 + 43 || !key.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var id = key.AsSpan(Prefix.Length, IdBytes * 2);
        if (key[Prefix.Length + IdBytes * 2] != '_') return false;
        foreach (var c in id)
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c)) return false;
        keyId = id.ToString();
        return true;
    }

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>Constant-time comparison of a presented key with a stored hash.</summary>
    public static bool Matches(string presentedKey, byte[] storedSha256) =>
        CryptographicOperations.FixedTimeEquals(Hash(presentedKey), storedSha256);

    private static string Base64UrlEncode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>Persistence of API keys: hashed, never their text. Each change is written with its audit record, in one transaction.</summary>
public interface IApiKeyStore
{
    /// <summary>Stores a new key with the SHA-256 of its text, and the create_key record of <paramref name="actor"/>.</summary>
    Task CreateAsync(ApiKey key, byte[] keySha256, AuditActor actor, CancellationToken ct = default);

    /// <summary>The key and its hash, revoked or not; null if there is no such id.</summary>
    Task<ApiKeyCredential?> FindAsync(string keyId, CancellationToken ct = default);

    /// <summary>Every key, newest first.</summary>
    Task<IReadOnlyList<ApiKey>> ListAsync(CancellationToken ct = default);

    /// <summary>
    /// Marks the key revoked, with the revoke_key record of <paramref name="actor"/>; false (and no record) if there is
    /// no such key or it was already revoked.
    /// </summary>
    Task<bool> RevokeAsync(string keyId, AuditActor actor, CancellationToken ct = default);

    /// <summary>
    /// In one transaction: sets the old key's end to <paramref name="oldKeyExpiresAt"/> and stores the new key, with the
    /// rotate_key record (old key) and the create_key record (new key) of <paramref name="actor"/>. False, and nothing
    /// written, if the old key is unknown, revoked or already expired at the database's clock.
    /// </summary>
    Task<bool> RotateAsync(string oldKeyId, DateTimeOffset oldKeyExpiresAt, ApiKey newKey, byte[] newKeySha256, AuditActor actor,
        CancellationToken ct = default);
}
