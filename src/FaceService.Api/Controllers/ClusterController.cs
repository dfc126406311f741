using FaceService.Api.Contracts;
using FaceService.Api.Errors;
using FaceService.Api.Infrastructure;
using FaceService.Api.Security;
using FaceService.Api.Swagger;
using FaceService.Core.Security;
using FaceService.Core.Services;
using Microsoft.AspNetCore.Mvc;

namespace FaceService.Api.Controllers;

/// <summary>Group faces by person without labels.</summary>
[Tags("Clustering")]
[InferenceWork]
[RequireRole(ApiKeyRole.Read)]
public sealed class ClusterController(FaceRecognitionService recognition) : ApiControllerBase
{
    /// <summary>Cluster faces: stored faces (JSON body) or every face in uploaded photos (multipart).</summary>
    /// <remarks>
    /// Groups faces into people: tight groups first, then groups joined when they stand out from their other nearest
    /// neighbours (docs/CLUSTERING.md). A face that fits nobody stays a singleton, and two faces of one photo never share
    /// a cluster. Give <c>threshold</c> or <c>linkage</c> for agglomerative clustering cut at that squared L2 distance
    /// instead. With <c>application/json</c> it groups the stored faces of <c>collection</c> (or only <c>faceIds</c>);
    /// with <c>multipart/form-data</c> it groups every face found in the <c>image</c> files. Groups of two faces or more
    /// are <c>clusters</c> (largest first); the rest are <c>singletons</c>. Faces below the configured quality threshold
    /// (Quality:MinQuality) are left out and listed in <c>leftOut</c>, unless <c>includeLowQuality</c> is true.
    /// </remarks>
    /// <response code="200">Clusters and singletons.</response>
    [HttpPost("cluster")]
    [StandbyReads]
    [Consumes("application/json")]
    [AlsoAcceptsForm(typeof(ClusterImagesForm))]
    [JsonRequestExample("""{"collection": "swagger-try-out"}""")]
    [ProducesResponseType<ClusterResponse>(StatusCodes.Status200OK, "application/json")]
    [ProducesProblem(ErrorCodes.ValidationFailed, ErrorCodes.InvalidImage)]
    [ProducesProblem(ErrorCodes.FaceNotFound, ErrorCodes.CollectionNotFound)]
    [ProducesProblem(ErrorCodes.PayloadTooLarge, ErrorCodes.TooManyFiles)]
    [ProducesProblem(ErrorCodes.UnsupportedMediaType, ErrorCodes.UnsupportedImageFormat)]
    [ProducesProblem(ErrorCodes.ImageTooLarge, ErrorCodes.TooManyFaces)]
    [ProducesProblem(ErrorCodes.DatabaseUnavailable, ErrorCodes.ModelUnavailable)]
    [ProducesProblem(ErrorCodes.Overloaded)]
    public async Task<ClusterResponse> ClusterStored([FromBody] ClusterRequest request, CancellationToken ct) =>
        ClusterResponse.From(await recognition.ClusterStoredAsync(request.Collection, request.FaceIds, new ClusterParameters(request.Threshold, request.Linkage, request.IncludeLowQuality), ct));

    /// <summary>The multipart variant of <see cref="ClusterStored"/> (documented with it, as one operation).</summary>
    [HttpPost("cluster")]
    [Consumes("multipart/form-data")]
    [MultipartUpload]
    [ApiExplorerSettings(IgnoreApi = true)]
    public async Task<ClusterResponse> ClusterImages([FromForm] ClusterImagesForm form, CancellationToken ct)
    {
        var images = await Uploads.ReadAllAsync(form.Image!, "image", ct);
        return ClusterResponse.From(await recognition.ClusterImagesAsync(images, new ClusterParameters(form.Threshold, form.Linkage, form.IncludeLowQuality), ct));
    }
}
