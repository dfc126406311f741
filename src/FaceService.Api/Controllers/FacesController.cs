using FaceService.Api.Errors;
using FaceService.Api.Security;
using FaceService.Api.Swagger;
using FaceService.Core.Security;
using FaceService.Core.Services;
using Microsoft.AspNetCore.Mvc;

namespace FaceService.Api.Controllers;

/// <summary>Single stored faces.</summary>
[Tags("Faces")]
[ProducesProblem(ErrorCodes.DatabaseUnavailable)]
[RequireRole(ApiKeyRole.Write)]
public sealed class FacesController(FaceCatalogService catalog) : ApiControllerBase
{
    /// <summary>Delete one stored face (e.g. a bad enrollment photo).</summary>
    /// <remarks>A face in a collection the key may not write is answered 404 face_not_found, like a missing one.</remarks>
    /// <param name="faceId">The face's id, as returned by enroll.</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <response code="204">Deleted.</response>
    [HttpDelete("faces/{faceId}")]
    [ProducesResponseType(StatusCodes.Status204NoContent)]
    [ProducesProblem(ErrorCodes.ValidationFailed)]
    [ProducesProblem(ErrorCodes.FaceNotFound)]
    public async Task<IActionResult> DeleteFace(Guid faceId, CancellationToken ct)
    {
        await catalog.DeleteFaceAsync(faceId, HttpContext.Caller().Scope, HttpContext.AuditActor(), ct);
        return NoContent();
    }
}
