using FaceService.Api.Contracts;
using FaceService.Api.Errors;
using FaceService.Api.Security;
using FaceService.Api.Swagger;
using FaceService.Core.Naming;
using FaceService.Core.Security;
using FaceService.Core.Services;
using Microsoft.AspNetCore.Mvc;

namespace FaceService.Api.Controllers;

/// <summary>Enrolled people: list, inspect, erase.</summary>
[Tags("Subjects")]
[ProducesProblem(ErrorCodes.DatabaseUnavailable)]
[RequireRole(ApiKeyRole.Read)]
public sealed class SubjectsController(FaceCatalogService catalog) : ApiControllerBase
{
    /// <summary>List the subjects of a collection, a page at a time (ordered by subject id).</summary>
    /// <param name="collection">Collection (default "default").</param>
    /// <param name="page">1-based page number (default 1).</param>
    /// <param name="pageSize">Subjects per page (default 50).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <response code="200">One page of subjects and the total.</response>
    [HttpGet("subjects")]
    [ProducesResponseType<SubjectPage>(StatusCodes.Status200OK, "application/json")]
    [ProducesProblem(ErrorCodes.ValidationFailed)]
    public async Task<SubjectPage> ListSubjects([FromQuery] CollectionName collection, [FromQuery] int? page, [FromQuery] int? pageSize, CancellationToken ct) =>
        SubjectPage.From(await catalog.ListSubjectsAsync(collection, page, pageSize, ct));

    /// <summary>One subject: how many faces, when first and last enrolled.</summary>
    /// <param name="subject">The subject id (URL-encoded).</param>
    /// <param name="collection">Collection (default "default").</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <response code="200">The subject.</response>
    [HttpGet("subjects/{subject}")]
    [ProducesResponseType<SubjectDto>(StatusCodes.Status200OK, "application/json")]
    [ProducesProblem(ErrorCodes.ValidationFailed)]
    [ProducesProblem(ErrorCodes.SubjectNotFound)]
    public async Task<SubjectDto> GetSubject(SubjectId subject, [FromQuery] CollectionName collection, CancellationToken ct) =>
        SubjectDto.From(await catalog.GetSubjectAsync(collection, subject, ct));

    /// <summary>The stored faces of a subject (ids, boxes, image hashes; never the embeddings).</summary>
    /// <param name="subject">The subject id (URL-encoded).</param>
    /// <param name="collection">Collection (default "default").</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <response code="200">The subject's faces.</response>
    [HttpGet("subjects/{subject}/faces")]
    [ProducesResponseType<SubjectFacesResponse>(StatusCodes.Status200OK, "application/json")]
    [ProducesProblem(ErrorCodes.ValidationFailed)]
    [ProducesProblem(ErrorCodes.SubjectNotFound)]
    public async Task<SubjectFacesResponse> GetSubjectFaces(SubjectId subject, [FromQuery] CollectionName collection, CancellationToken ct)
    {
        var (coll, subj, faces) = await catalog.GetSubjectFacesAsync(collection, subject, ct);
        return new SubjectFacesResponse { Subject = subj, Collection = coll, Faces = faces.Select(StoredFaceDto.From).ToList() };
    }

    /// <summary>Erase a subject: every stored face of the person in the collection (right to erasure; audited).</summary>
    /// <param name="subject">The subject id (URL-encoded).</param>
    /// <param name="collection">Collection (default "default").</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <response code="200">How many faces were erased.</response>
    [HttpDelete("subjects/{subject}")]
    [RequireRole(ApiKeyRole.Write)]
    [ProducesResponseType<DeleteSubjectResponse>(StatusCodes.Status200OK, "application/json")]
    [ProducesProblem(ErrorCodes.ValidationFailed)]
    [ProducesProblem(ErrorCodes.SubjectNotFound)]
    public async Task<DeleteSubjectResponse> DeleteSubject(SubjectId subject, [FromQuery] CollectionName collection, CancellationToken ct)
    {
        var removed = await catalog.DeleteSubjectAsync(collection, subject, HttpContext.AuditActor(), ct);
        return new DeleteSubjectResponse { Subject = subject.Value, Collection = collection.Value, DeletedFaces = removed };
    }
}
