using FaceService.Core.Services;
using Microsoft.Extensions.Options;

namespace FaceService.Core.Security;

/// <summary>What a new key is asked to be, as the caller gave it (validated by <see cref="ApiKeyService"/>).</summary>
/// <param name="RequestsPerMinute">Its rate limit; 0: unlimited; null: <see cref="KeyPolicyOptions.DefaultRequestsPerMinute"/>.</param>
public sealed record NewApiKey(string? Name, IReadOnlyCollection<string>? Roles, IReadOnlyCollection<string>? Collections,
    DateTimeOffset? ExpiresAt = null, int? RequestsPerMinute = null);

/// <summary>
/// Creating, listing, rotating and revoking API keys within the caller's reach, for the admin endpoints and the
/// command line alike: a key sees and manages only keys its own scope covers, and hands out no more than it has.
/// Keys outside the caller's reach are answered like missing ones (key_not_found), so their ids do not leak.
/// </summary>
public sealed class ApiKeyService(IApiKeyStore store, IOptions<KeyPolicyOptions> options, TimeProvider clock)
{
    private readonly KeyPolicyOptions _policy = options.Value;

    public async Task<IssuedApiKey> CreateAsync(ApiKeyScope caller, NewApiKey request, AuditActor actor, CancellationToken ct = default)
    {
        var name = ApiKey.RequireName(request.Name);
        var scope = ApiKeyScope.Parse(request.Roles, request.Collections);
        if (!caller.Covers(scope))
            throw new FaceServiceException(FaceServiceError.Forbidden, "A key can only create keys within its own collections and role.", "collections");
        var now = clock.GetUtcNow();
        var expiresAt = RequireFuture(request.ExpiresAt, now);
        var perMinute = request.RequestsPerMinute ?? _policy.DefaultRequestsPerMinute;
        if (perMinute is < 0 or > ApiKey.MaxRequestsPerMinute)
            throw Invalid($"requestsPerMinute is 0 (unlimited) to {ApiKey.MaxRequestsPerMinute}.", "requestsPerMinute");

        var (keyId, text) = ApiKeySecret.Generate();
        var key = new ApiKey(keyId, name, scope, now, actor.KeyId, null, expiresAt, perMinute);
        await store.CreateAsync(key, ApiKeySecret.Hash(text), actor, ct);
        return new IssuedApiKey(key, text);
    }

    /// <summary>The keys <paramref name="caller"/> covers (never their text or hash), newest first.</summary>
    public async Task<IReadOnlyList<ApiKey>> ListAsync(ApiKeyScope caller, CancellationToken ct = default) =>
        (await store.ListAsync(ct)).Where(k => caller.Covers(k.Scope)).ToList();

    public async Task RevokeAsync(ApiKeyScope caller, string keyId, AuditActor actor, CancellationToken ct = default)
    {
        var found = await store.FindAsync(keyId, ct);
        if (found is null || found.Key.RevokedAt is not null || !caller.Covers(found.Key.Scope) || !await store.RevokeAsync(keyId, actor, ct))
            throw KeyNotFound(keyId);
    }

    /// <summary>
    /// Issues a new key with the old key's name, scope and rate limit, and lets the old key work for
    /// <paramref name="overlap"/> more (or until its own end, if sooner), so that clients can switch without a gap. The
    /// new key ends at <paramref name="expiresAt"/>; by default a key that had a lifetime gets the same lifetime again,
    /// and one without keeps none.
    /// </summary>
    public async Task<RotatedApiKey> RotateAsync(ApiKeyScope caller, string keyId, TimeSpan? overlap, DateTimeOffset? expiresAt, AuditActor actor,
        CancellationToken ct = default)
    {
        var wait = overlap ?? TimeSpan.FromSeconds(_policy.DefaultRotationOverlapSeconds);
        if (wait < TimeSpan.Zero || wait > TimeSpan.FromSeconds(KeyPolicyOptions.MaxRotationOverlapSeconds))
            throw Invalid($"overlapSeconds is 0 to {KeyPolicyOptions.MaxRotationOverlapSeconds} (30 days).", "overlapSeconds");
        var now = clock.GetUtcNow();
        var newExpiresAt = RequireFuture(expiresAt, now);

        var found = await store.FindAsync(keyId, ct);
        if (found?.Key is not { } old || !old.IsValid(now) || !caller.Covers(old.Scope)) throw KeyNotFound(keyId);
        var oldEnds = old.ExpiresAt is { } end && end < now + wait ? end : now + wait;
        newExpiresAt ??= old.ExpiresAt is { } oldEnd ? now + (oldEnd - old.CreatedAt) : null;

        var (newId, text) = ApiKeySecret.Generate();
        var key = new ApiKey(newId, old.Name, old.Scope, now, actor.KeyId, null, newExpiresAt, old.RequestsPerMinute);
        if (!await store.RotateAsync(keyId, oldEnds, key, ApiKeySecret.Hash(text), actor, ct)) throw KeyNotFound(keyId);
        return new RotatedApiKey(new IssuedApiKey(key, text), keyId, oldEnds);
    }

    private static DateTimeOffset? RequireFuture(DateTimeOffset? expiresAt, DateTimeOffset now) =>
        expiresAt is { } at && at <= now ? throw Invalid("expiresAt must be in the future.", "expiresAt") : expiresAt;

    private static FaceServiceException KeyNotFound(string keyId) => new(FaceServiceError.KeyNotFound, $"No valid API key {keyId}.", "keyId");

    private static FaceServiceException Invalid(string message, string field) => new(FaceServiceError.ValidationFailed, message, field);
}
