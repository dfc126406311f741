using FaceService.Api.Contracts;
using FaceService.Api.Errors;
using FaceService.Api.Infrastructure;
using FaceService.Api.Security;
using FaceService.Api.Swagger;
using FaceService.Core.Naming;
using FaceService.Core.Security;
using FaceService.Core.Services;
using Microsoft.AspNetCore.Mvc;

namespace FaceService.Api.Controllers;

/// <summary>
/// People: photos indexed face by face without names, the clusters their faces fall into, naming a cluster once, and
/// correcting names (rename, merge, move a face).
/// </summary>
[Tags("People")]
[ProducesProblem(ErrorCodes.DatabaseUnavailable)]
[RequireRole(ApiKeyRole.Read)]
public sealed class PeopleController(PeopleService people) : ApiControllerBase
{
    /// <summary>Store every face of photos, unnamed, each in its person's cluster.</summary>
    /// <remarks>
    /// Every face of each photo that reaches <c>minQuality</c> is stored without a subject and joins the cluster of the
    /// person it belongs to among the collection's unnamed faces (or starts one); two faces of one photo never share a
    /// cluster. Faces below <c>minQuality</c> are listed in <c>refused</c> with their reasons (<c>small_face</c>,
    /// <c>blurred</c>, <c>extreme_pose</c>, <c>low_confidence</c>). A photo indexed before is answered with its stored
    /// faces and <c>alreadyIndexed: true</c>; nothing is stored twice. A photo without faces is not an error.
    /// </remarks>
    /// <response code="201">Per photo, the faces stored (with their clusters) and those refused.</response>
    [HttpPost("index")]
    [InferenceWork]
    [RequireRole(ApiKeyRole.Write)]
    [MultipartUpload]
    [Consumes("multipart/form-data")]
    [ProducesResponseType<IndexResponse>(StatusCodes.Status201Created, "application/json")]
    [ProducesProblem(ErrorCodes.ValidationFailed, ErrorCodes.InvalidImage)]
    [ProducesProblem(ErrorCodes.PayloadTooLarge, ErrorCodes.TooManyFiles)]
    [ProducesProblem(ErrorCodes.UnsupportedMediaType, ErrorCodes.UnsupportedImageFormat)]
    [ProducesProblem(ErrorCodes.ImageTooLarge)]
    [ProducesProblem(ErrorCodes.ModelUnavailable, ErrorCodes.Overloaded)]
    public async Task<ActionResult<IndexResponse>> Index([FromForm] IndexForm form, CancellationToken ct)
    {
        var images = await Uploads.ReadAllAsync(form.Image!, "image", ct);
        var result = IndexResponse.From(await people.IndexAsync(form.Collection, images, form.MinQuality, HttpContext.AuditActor(), ct));
        return CreatedAtAction(nameof(ListClusters), new { collection = result.Collection }, result);
    }

    /// <summary>The clusters of unnamed faces, largest first, each with a sample of its faces.</summary>
    /// <param name="collection">Collection (default "default").</param>
    /// <param name="page">1-based page (default 1).</param>
    /// <param name="pageSize">Clusters per page (default 50).</param>
    /// <param name="minFaces">Only clusters of at least this many faces (default 2; 1 lists single faces too).</param>
    /// <param name="sample">Faces shown per cluster, best quality first (default 4).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <response code="200">One page of clusters, and the collection's unnamed and low-quality face counts.</response>
    [HttpGet("people/clusters")]
    [ProducesResponseType<PersonClusterPage>(StatusCodes.Status200OK, "application/json")]
    [ProducesProblem(ErrorCodes.ValidationFailed)]
    public async Task<PersonClusterPage> ListClusters([FromQuery] CollectionName collection, [FromQuery] int? page, [FromQuery] int? pageSize,
        [FromQuery] int? minFaces, [FromQuery] int? sample, CancellationToken ct) =>
        PersonClusterPage.From(await people.ListClustersAsync(collection, page ?? 1, pageSize ?? 50, minFaces ?? 2, sample, ct));

    /// <summary>One cluster with all its faces.</summary>
    /// <param name="clusterId">The cluster.</param>
    /// <param name="collection">Collection (default "default").</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <response code="200">The cluster, its version and every face.</response>
    [HttpGet("people/clusters/{clusterId:long}")]
    [ProducesResponseType<PersonClusterDto>(StatusCodes.Status200OK, "application/json")]
    [ProducesProblem(ErrorCodes.ValidationFailed)]
    [ProducesProblem(ErrorCodes.ClusterNotFound)]
    public async Task<PersonClusterDto> GetCluster(long clusterId, [FromQuery] CollectionName collection, CancellationToken ct) =>
        PersonClusterDto.From(await people.GetClusterAsync(collection, clusterId, ct));

    /// <summary>Name a cluster: its faces become a subject (new, or joining an existing one).</summary>
    /// <remarks>
    /// The faces leave the cluster and become the subject's; its template follows. Give the <c>version</c> the cluster
    /// had when it was looked at: if faces joined or left it since (or a recluster ran), the request is refused with
    /// 409 <c>cluster_changed</c> and nothing changes. A subject that already has a face of one of the cluster's photos
    /// is refused with 409 <c>photo_conflict</c>.
    /// </remarks>
    /// <param name="clusterId">The cluster.</param>
    /// <param name="collection">Collection (default "default").</param>
    /// <param name="request">The subject, and the version seen.</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <response code="200">The faces named.</response>
    [HttpPost("people/clusters/{clusterId:long}/name")]
    [RequireRole(ApiKeyRole.Write)]
    [JsonRequestExample("""{"subject": "example-person", "version": 1}""")]
    [ProducesResponseType<NamedFacesResponse>(StatusCodes.Status200OK, "application/json")]
    [ProducesProblem(ErrorCodes.ValidationFailed)]
    [ProducesProblem(ErrorCodes.ClusterNotFound)]
    [ProducesProblem(ErrorCodes.ClusterChanged, ErrorCodes.PhotoConflict)]
    public async Task<NamedFacesResponse> NameCluster(long clusterId, [FromQuery] CollectionName collection, [FromBody] NameClusterRequest request,
        CancellationToken ct)
    {
        var named = await people.NameClusterAsync(collection, clusterId, request.Subject!.Value, request.Version, HttpContext.AuditActor(), ct);
        return new NamedFacesResponse
        {
            Subject = request.Subject.Value.Value, Collection = collection.Value, Faces = named.Count, Named = named.Select(PersonFaceDto.From).ToList(),
        };
    }

    /// <summary>Erase a cluster: every face in it (audited).</summary>
    /// <param name="clusterId">The cluster.</param>
    /// <param name="collection">Collection (default "default").</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <response code="200">How many faces were erased.</response>
    [HttpDelete("people/clusters/{clusterId:long}")]
    [RequireRole(ApiKeyRole.Write)]
    [ProducesResponseType<DeleteClusterResponse>(StatusCodes.Status200OK, "application/json")]
    [ProducesProblem(ErrorCodes.ValidationFailed)]
    [ProducesProblem(ErrorCodes.ClusterNotFound)]
    public async Task<DeleteClusterResponse> DeleteCluster(long clusterId, [FromQuery] CollectionName collection, CancellationToken ct) =>
        new() { ClusterId = clusterId, Collection = collection.Value, DeletedFaces = await people.DeleteClusterAsync(collection, clusterId, HttpContext.AuditActor(), ct) };

    /// <summary>Rename a subject.</summary>
    /// <remarks>Every face of the subject takes the new id; no subject of the collection may have it yet (409 <c>subject_exists</c>: merge instead).</remarks>
    /// <param name="subject">The subject id (URL-encoded).</param>
    /// <param name="collection">Collection (default "default").</param>
    /// <param name="request">The new id.</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <response code="200">The faces renamed.</response>
    [HttpPost("subjects/{subject}/rename")]
    [RequireRole(ApiKeyRole.Write)]
    [JsonRequestExample("""{"name": "example-person-renamed"}""")]
    [ProducesResponseType<NamedFacesResponse>(StatusCodes.Status200OK, "application/json")]
    [ProducesProblem(ErrorCodes.ValidationFailed)]
    [ProducesProblem(ErrorCodes.SubjectNotFound)]
    [ProducesProblem(ErrorCodes.SubjectExists)]
    public async Task<NamedFacesResponse> RenameSubject(SubjectId subject, [FromQuery] CollectionName collection, [FromBody] RenameSubjectRequest request,
        CancellationToken ct) =>
        new()
        {
            Subject = request.Name!.Value.Value, Collection = collection.Value,
            Faces = await people.RenameSubjectAsync(collection, subject, request.Name.Value, HttpContext.AuditActor(), ct),
        };

    /// <summary>Merge a subject into another.</summary>
    /// <remarks>
    /// Every face of the subject moves to <c>into</c> (which must exist); the subject is gone after it and the template
    /// of <c>into</c> takes its faces. Merging a subject into itself is refused (400); two faces of one photo under one
    /// subject are refused (409 <c>photo_conflict</c>).
    /// </remarks>
    /// <param name="subject">The subject merged away (URL-encoded).</param>
    /// <param name="collection">Collection (default "default").</param>
    /// <param name="request">The subject that takes the faces.</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <response code="200">The faces moved.</response>
    [HttpPost("subjects/{subject}/merge")]
    [RequireRole(ApiKeyRole.Write)]
    [JsonRequestExample("""{"into": "example-person"}""")]
    [ProducesResponseType<NamedFacesResponse>(StatusCodes.Status200OK, "application/json")]
    [ProducesProblem(ErrorCodes.ValidationFailed)]
    [ProducesProblem(ErrorCodes.SubjectNotFound)]
    [ProducesProblem(ErrorCodes.PhotoConflict)]
    public async Task<NamedFacesResponse> MergeSubjects(SubjectId subject, [FromQuery] CollectionName collection, [FromBody] MergeSubjectsRequest request,
        CancellationToken ct) =>
        new()
        {
            Subject = request.Into!.Value.Value, Collection = collection.Value,
            Faces = await people.MergeSubjectsAsync(collection, subject, request.Into.Value, HttpContext.AuditActor(), ct),
        };

    /// <summary>Move a face to another subject, or back to the unnamed faces.</summary>
    /// <remarks>With <c>subject: null</c> the face becomes unnamed again and joins a cluster, as an indexed face does.</remarks>
    /// <param name="faceId">The face.</param>
    /// <param name="collection">The face's collection (default "default"); a face of another collection is not found.</param>
    /// <param name="request">The subject, or null.</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <response code="200">The face after the move.</response>
    [HttpPut("faces/{faceId:guid}/subject")]
    [RequireRole(ApiKeyRole.Write)]
    [JsonRequestExample("""{"subject": null}""")]
    [ProducesResponseType<PersonFaceDto>(StatusCodes.Status200OK, "application/json")]
    [ProducesProblem(ErrorCodes.ValidationFailed)]
    [ProducesProblem(ErrorCodes.FaceNotFound)]
    [ProducesProblem(ErrorCodes.PhotoConflict)]
    public async Task<PersonFaceDto> MoveFace(Guid faceId, [FromQuery] CollectionName collection, [FromBody] MoveFaceRequest request, CancellationToken ct) =>
        PersonFaceDto.From(await people.MoveFaceAsync(collection, faceId, request.Subject, HttpContext.AuditActor(), ct));

    /// <summary>Recluster the collection's unnamed faces in the background.</summary>
    /// <remarks>
    /// Faces join clusters one at a time as they are indexed; a recluster groups all of them at once, as people
    /// clustering does (more of each person's faces together). One job at a time per collection (409 <c>job_running</c>);
    /// follow it at <c>GET /v1/people/jobs/{jobId}</c>, cancel it with DELETE. A job whose process stops is taken up
    /// again by the service (attempts counts the starts). Cluster ids are kept where a new cluster holds most of an old one.
    /// </remarks>
    /// <param name="collection">Collection (default "default").</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <response code="202">The job, queued.</response>
    [HttpPost("people/recluster")]
    [RequireRole(ApiKeyRole.Write)]
    [ProducesResponseType<ReclusterJobDto>(StatusCodes.Status202Accepted, "application/json")]
    [ProducesProblem(ErrorCodes.ValidationFailed)]
    [ProducesProblem(ErrorCodes.JobRunning)]
    public async Task<ActionResult<ReclusterJobDto>> Recluster([FromQuery] CollectionName collection, CancellationToken ct)
    {
        var job = ReclusterJobDto.From(await people.StartReclusterAsync(collection, HttpContext.AuditActor(), ct));
        return AcceptedAtAction(nameof(GetJob), new { jobId = job.JobId, collection = job.Collection }, job);
    }

    /// <summary>The collection's latest recluster jobs, newest first.</summary>
    /// <param name="collection">Collection (default "default").</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <response code="200">The jobs.</response>
    [HttpGet("people/jobs")]
    [ProducesResponseType<ReclusterJobsResponse>(StatusCodes.Status200OK, "application/json")]
    [ProducesProblem(ErrorCodes.ValidationFailed)]
    public async Task<ReclusterJobsResponse> ListJobs([FromQuery] CollectionName collection, CancellationToken ct) =>
        new() { Jobs = (await people.ListJobsAsync(collection, ct)).Select(ReclusterJobDto.From).ToList() };

    /// <summary>One recluster job: state, stage and progress.</summary>
    /// <param name="jobId">The job.</param>
    /// <param name="collection">The job's collection (default "default").</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <response code="200">The job.</response>
    [HttpGet("people/jobs/{jobId:guid}")]
    [ProducesResponseType<ReclusterJobDto>(StatusCodes.Status200OK, "application/json")]
    [ProducesProblem(ErrorCodes.ValidationFailed)]
    [ProducesProblem(ErrorCodes.JobNotFound)]
    public async Task<ReclusterJobDto> GetJob(Guid jobId, [FromQuery] CollectionName collection, CancellationToken ct) =>
        ReclusterJobDto.From(InCollection(await people.GetJobAsync(jobId, ct), collection));

    /// <summary>Cancel a recluster job (a queued one at once; a running one stops at its next heartbeat).</summary>
    /// <param name="jobId">The job.</param>
    /// <param name="collection">The job's collection (default "default").</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <response code="200">The job as it is now.</response>
    [HttpDelete("people/jobs/{jobId:guid}")]
    [RequireRole(ApiKeyRole.Write)]
    [ProducesResponseType<ReclusterJobDto>(StatusCodes.Status200OK, "application/json")]
    [ProducesProblem(ErrorCodes.ValidationFailed)]
    [ProducesProblem(ErrorCodes.JobNotFound)]
    public async Task<ReclusterJobDto> CancelJob(Guid jobId, [FromQuery] CollectionName collection, CancellationToken ct)
    {
        InCollection(await people.GetJobAsync(jobId, ct), collection);
        return ReclusterJobDto.From(await people.CancelJobAsync(jobId, ct));
    }

    /// <summary>A job of another collection is not found: a key reaches only its collections' jobs.</summary>
    private static Core.Storage.ReclusterJob InCollection(Core.Storage.ReclusterJob job, CollectionName collection) =>
        job.Collection == collection.Value ? job : throw new FaceServiceException(FaceServiceError.JobNotFound, $"No job {job.JobId} in collection '{collection}'.", "jobId");
}
