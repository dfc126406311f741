using FaceService.Core.Security;
using Microsoft.Extensions.Options;

namespace FaceService.Api.Security;

/// <summary>What a presented key turned out to be: its caller, or why there is none.</summary>
public readonly record struct Authentication(ApiCaller? Caller, DateTimeOffset? ExpiredAt = null);

/// <summary>Turns a presented key text into its caller: the bootstrap key, or a stored, unrevoked, unexpired key whose hash matches.</summary>
public sealed class ApiKeyAuthenticator(IApiKeyStore keys, IOptions<AuthOptions> authOptions, IOptions<RateLimitOptions> limits, TimeProvider clock)
{
    private readonly byte[]? _bootstrapSha256 = authOptions.Value.BootstrapAdminKey is { Length: > 0 } key ? ApiKeySecret.Hash(key) : null;
    private readonly ApiCaller _bootstrap = ApiCaller.Bootstrap with { RequestsPerMinute = limits.Value.BootstrapRequestsPerMinute };

    /// <summary>
    /// The caller; no caller for a key that is unknown, malformed, revoked or wrong; and no caller with the time it
    /// expired for a right key past its end (only a caller who holds the key learns that it expired).
    /// </summary>
    /// <exception cref="Core.Storage.StoreUnavailableException">The key store cannot be reached (→ 503).</exception>
    public async Task<Authentication> AuthenticateAsync(string presentedKey, CancellationToken ct)
    {
        if (_bootstrapSha256 is not null && ApiKeySecret.Matches(presentedKey, _bootstrapSha256)) return new(_bootstrap);
        if (!ApiKeySecret.TryParseKeyId(presentedKey, out var keyId)) return default;
        var credential = await keys.FindAsync(keyId, ct);
        // The hash is compared even for a revoked key, so that timing tells nothing about revocation.
        if (credential is null || !ApiKeySecret.Matches(presentedKey, credential.KeySha256) || credential.Key.RevokedAt is not null) return default;
        var key = credential.Key;
        if (key.IsExpired(clock.GetUtcNow())) return new(null, key.ExpiresAt);
        return new(new ApiCaller(key.KeyId, key.Name, key.Scope, key.RequestsPerMinute));
    }
}
