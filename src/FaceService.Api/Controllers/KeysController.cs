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
public sealed class KeysController(IApiKeyStore keys) : ApiControllerBase
{
    /// <summary>Create an API key; the answer carries the key's text, shown this once.</summary>
    /// <remarks>Only the SHA-256 of the key is stored: a lost key cannot be recovered, only revoked and replaced.</remarks>
    /// <response code="201">The key, with its text in <c>key</c>.</response>
    [HttpPost("keys")]
    [Consumes("application/json")]
    [JsonRequestExample("""{"name": "front-desk kiosk", "collections": ["visitors"], "roles": ["write"]}""")]
    [ProducesResponseType<CreatedKeyResponse>(StatusCodes.Status201Created, "application/json")]
    [ProducesProblem(ErrorCodes.ValidationFailed)]
    public async Task<ActionResult<CreatedKeyResponse>> CreateKey([FromBody] CreateKeyRequest request, CancellationToken ct)
    {
        var name = ApiKey.RequireName(request.Name);
        var scope = ApiKeyScope.Parse(request.Roles, request.Collections);
        if (!HttpContext.Caller().Scope.Covers(scope))
            return ApiProblems.Result(HttpContext, ErrorCatalog.Forbidden, "A key can only create keys within its own collections and role.", "collections");

        var (key, text) = await keys.IssueAsync(name, scope, HttpContext.AuditActor(), ct);
        var dto = ApiKeyDto.From(key);
        return StatusCode(StatusCodes.Status201Created, new CreatedKeyResponse
        {
            KeyId = dto.KeyId, Name = dto.Name, Roles = dto.Roles, Collections = dto.Collections,
            CreatedAt = dto.CreatedAt, CreatedBy = dto.CreatedBy, Key = text,
        });
    }

    /// <summary>List the keys within this key's scope (never their text or hash), newest first.</summary>
    /// <response code="200">The keys, revoked ones included.</response>
    [HttpGet("keys")]
    [ProducesResponseType<ApiKeysResponse>(StatusCodes.Status200OK, "application/json")]
    public async Task<ApiKeysResponse> ListKeys(CancellationToken ct)
    {
        var scope = HttpContext.Caller().Scope;
        return new ApiKeysResponse { Keys = (await keys.ListAsync(ct)).Where(k => scope.Covers(k.Scope)).Select(ApiKeyDto.From).ToList() };
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
        var scope = HttpContext.Caller().Scope;
        // Keys outside the caller's scope are answered like missing ones.
        var found = await keys.FindAsync(keyId, ct);
        if (found is null || found.Key.RevokedAt is not null || !scope.Covers(found.Key.Scope) || !await keys.RevokeAsync(keyId, HttpContext.AuditActor(), ct))
            return ApiProblems.Result(HttpContext, ErrorCatalog.KeyNotFound, $"No valid API key {keyId}.", "keyId");
        return NoContent();
    }
}
