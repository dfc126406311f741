using FaceService.Core.Security;
using Microsoft.Extensions.Options;

namespace FaceService.Api.Security;

/// <summary>Turns a presented key text into its caller: the bootstrap key, or a stored, unrevoked key whose hash matches.</summary>
public sealed class ApiKeyAuthenticator(IApiKeyStore keys, IOptions<AuthOptions> options)
{
    private readonly byte[]? _bootstrapSha256 = options.Value.BootstrapAdminKey is { Length: > 0 } key ? ApiKeySecret.Hash(key) : null;

    /// <summary>The caller, or null for a key that is unknown, malformed, revoked or wrong.</summary>
    /// <exception cref="Core.Storage.StoreUnavailableException">The key store cannot be reached (→ 503).</exception>
    public async Task<ApiCaller?> AuthenticateAsync(string presentedKey, CancellationToken ct)
    {
        if (_bootstrapSha256 is not null && ApiKeySecret.Matches(presentedKey, _bootstrapSha256)) return ApiCaller.Bootstrap;
        if (!ApiKeySecret.TryParseKeyId(presentedKey, out var keyId)) return null;
        var credential = await keys.FindAsync(keyId, ct);
        // The hash is compared even for a revoked key, so that timing tells nothing about revocation.
        if (credential is null || !ApiKeySecret.Matches(presentedKey, credential.KeySha256) || credential.Key.RevokedAt is not null) return null;
        return new ApiCaller(credential.Key.KeyId, credential.Key.Name, credential.Key.Scope);
    }
}
