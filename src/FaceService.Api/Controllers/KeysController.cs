using FaceService.Api.Contracts;
using FaceService.Api.Errors;
using FaceService.Api.Security;
using FaceService.Api.Swagger;
using FaceService.Core.Security;
using Microsoft.AspNetCore.Mvc;

namespace FaceService.Api.Controllers;

/// <summary>
/// API keys (admin role). A key sees and manages only keys within its own scope: an admin of "visitors" can hand out
/// read or write keys for "visitors", not for other collections and not "*".
/// </summary>
[Tags("Keys")]
[ProducesProblem(ErrorCodes.DatabaseUnavailable)]
[RequireRole(ApiKeyRole.Admin)]
public sealed class KeysController(ApiKeyService keys) : ApiControllerBase
{
    /// <summary>Create an API key; the answer carries the key's text, shown this once.</summary>
    /// <remarks>
    /// Only the SHA-256 of the key is stored: a lost key cannot be recovered, only revoked and replaced. A key may end
    /// (<c>expiresAt</c>) and has its own rate limit (<c>requestsPerMinute</c>, 0 for none; default 6,000).
    /// </remarks>
    /// <response code="201">The key, with its text in <c>key</c>.</response>
    [HttpPost("keys")]
    [Consumes("application/json")]
    [JsonRequestExample("""{"name": "swagger example key", "collections": ["swagger-try-out"], "roles": ["read"], "requestsPerMinute": 600}""")]
    [ProducesResponseType<CreatedKeyResponse>(StatusCodes.Status201Created, "application/json")]
    [ProducesProblem(ErrorCodes.ValidationFailed)]
    [ProducesProblem(ErrorCodes.Forbidden)]
    public async Task<ActionResult<CreatedKeyResponse>> CreateKey([FromBody] CreateKeyRequest request, CancellationToken ct)
    {
        var issued = await keys.CreateAsync(HttpContext.Caller().Scope,
            new NewApiKey(request.Name, request.Roles, request.Collections, request.ExpiresAt, request.RequestsPerMinute), HttpContext.AuditActor(), ct);
        return StatusCode(StatusCodes.Status201Created, new CreatedKeyResponse(issued));
    }

    /// <summary>List the keys within this key's scope (never their text or hash), newest first.</summary>
    /// <response code="200">The keys, revoked and expired ones included.</response>
    [HttpGet("keys")]
    [ProducesResponseType<ApiKeysResponse>(StatusCodes.Status200OK, "application/json")]
    public async Task<ApiKeysResponse> ListKeys(CancellationToken ct) =>
        new() { Keys = (await keys.ListAsync(HttpContext.Caller().Scope, ct)).Select(ApiKeyDto.From).ToList() };

    /// <summary>Rotate a key: a new key with the same name, scope and rate limit; the old one keeps working for the overlap.</summary>
    /// <remarks>
    /// The answer carries the new key's text, shown this once. The old key answers 401 <c>key_expired</c> after
    /// <c>replacedKeyExpiresAt</c> (now + <c>overlapSeconds</c>, default one hour, or its own end if sooner).
    /// </remarks>
    /// <param name="keyId">The key's id (the 16 hex characters after "fs_").</param>
    /// <param name="request">The overlap and the new key's end (both optional; an empty body takes the defaults).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <response code="201">The new key, with its text in <c>key</c>.</response>
    [HttpPost("keys/{keyId}/rotate")]
    [JsonRequestExample("""{"overlapSeconds": 3600}""")]
    [ProducesResponseType<RotatedKeyResponse>(StatusCodes.Status201Created, "application/json")]
    [ProducesProblem(ErrorCodes.ValidationFailed)]
    [ProducesProblem(ErrorCodes.KeyNotFound)]
    public async Task<ActionResult<RotatedKeyResponse>> RotateKey(string keyId, [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] RotateKeyRequest? request,
        CancellationToken ct)
    {
        var overlap = request?.OverlapSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
        var rotated = await keys.RotateAsync(HttpContext.Caller().Scope, keyId, overlap, request?.ExpiresAt, HttpContext.AuditActor(), ct);
        return StatusCode(StatusCodes.Status201Created, new RotatedKeyResponse(rotated));
    }

    /// <summary>Revoke a key: it stops working at once.</summary>
    /// <param name="keyId">The key's id (the 16 hex characters after "fs_").</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <response code="204">Revoked.</response>
    [HttpDelete("keys/{keyId}")]
    [ProducesResponseType(StatusCodes.Status204NoContent)]
    [ProducesProblem(ErrorCodes.KeyNotFound)]
    public async Task<IActionResult> RevokeKey(string keyId, CancellationToken ct)
    {
        await keys.RevokeAsync(HttpContext.Caller().Scope, keyId, HttpContext.AuditActor(), ct);
        return NoContent();
    }
}
