using System.Security.Claims;
using FaceService.Core.Security;

namespace FaceService.Api.Security;

/// <summary>The key a request was authenticated with: its id, name, scope and rate limit (0: none), carried as claims.</summary>
public sealed record ApiCaller(string KeyId, string Name, ApiKeyScope Scope, int RequestsPerMinute)
{
    private const string KeyIdClaim = "fs:key_id";
    private const string RoleClaim = "fs:role";
    private const string CollectionClaim = "fs:collection";
    private const string RateClaim = "fs:requests_per_minute";

    /// <summary>The bootstrap admin key of the configuration (its limit: RateLimit:BootstrapRequestsPerMinute).</summary>
    public static ApiCaller Bootstrap { get; } = new("bootstrap", "bootstrap", new ApiKeyScope(ApiKeyRole.Admin, [ApiKeyScope.AllCollections]), 0);

    /// <summary>Every request when Auth:Enabled is false.</summary>
    public static ApiCaller AuthDisabled { get; } = new("anonymous", "(auth disabled)", new ApiKeyScope(ApiKeyRole.Admin, [ApiKeyScope.AllCollections]), 0);

    public ClaimsPrincipal ToPrincipal(string scheme) => new(new ClaimsIdentity(
        [
            new Claim(KeyIdClaim, KeyId), new Claim(ClaimTypes.Name, Name), new Claim(RoleClaim, Scope.Role.ToString()),
            new Claim(RateClaim, RequestsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            .. Scope.Collections.Select(c => new Claim(CollectionClaim, c)),
        ], scheme));

    /// <summary>The caller of an authenticated request; null for an anonymous one.</summary>
    public static ApiCaller? TryFrom(ClaimsPrincipal user) =>
        user.FindFirst(KeyIdClaim) is { } keyId && Enum.TryParse<ApiKeyRole>(user.FindFirst(RoleClaim)?.Value, out var role)
            ? new ApiCaller(keyId.Value, user.Identity?.Name ?? keyId.Value, new ApiKeyScope(role, user.FindAll(CollectionClaim).Select(c => c.Value).ToList()),
                int.TryParse(user.FindFirst(RateClaim)?.Value, System.Globalization.CultureInfo.InvariantCulture, out var perMinute) ? perMinute : 0)
            : null;
}

public static class ApiCallerExtensions
{
    /// <summary>The caller of a request that passed authorization (every /v1 endpoint requires a key).</summary>
    public static ApiCaller Caller(this HttpContext http) =>
        ApiCaller.TryFrom(http.User) ?? throw new InvalidOperationException("The endpoint was reached without an authenticated key.");

    /// <summary>The request's key and id, for the audit record the store writes with the request's change.</summary>
    public static AuditActor AuditActor(this HttpContext http)
    {
        var caller = http.Caller();
        return new AuditActor(caller.KeyId, caller.Name, http.TraceIdentifier);
    }
}
