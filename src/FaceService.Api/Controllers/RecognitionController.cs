using FaceService.Api.Contracts;
using FaceService.Api.Errors;
using FaceService.Api.Infrastructure;
using FaceService.Api.Security;
using FaceService.Api.Swagger;
using FaceService.Core.Security;
using FaceService.Core.Services;
using Microsoft.AspNetCore.Mvc;

namespace FaceService.Api.Controllers;

/// <summary>Detect, enroll, verify and identify faces in uploaded photos.</summary>
[Tags("Recognition")]
[InferenceWork]
[RequireRole(ApiKeyRole.Read)]
[Consumes("multipart/form-data")]
[ProducesProblem(ErrorCodes.PayloadTooLarge, ErrorCodes.TooManyFiles)]
[ProducesProblem(ErrorCodes.UnsupportedMediaType, ErrorCodes.UnsupportedImageFormat)]
[ProducesProblem(ErrorCodes.Overloaded)]
public sealed class RecognitionController(FaceRecognitionService recognition) : ApiControllerBase
{
    /// <summary>Find the faces in a photo.</summary>
    /// <remarks>
    /// Every face, largest first, with its box and detector score in original-image pixels and five landmarks.
    /// A photo without a face is not an error: the answer is 200 with an empty <c>faces</c> list.
    /// </remarks>
    /// <response code="200">The faces found (possibly none).</response>
    [HttpPost("detect")]
    [MultipartUpload]
    [ProducesResponseType<DetectResponse>(StatusCodes.Status200OK, "application/json")]
    [ProducesProblem(ErrorCodes.ValidationFailed, ErrorCodes.InvalidImage)]
    [ProducesProblem(ErrorCodes.ImageTooLarge)]
    [ProducesProblem(ErrorCodes.ModelUnavailable)]
    public async Task<DetectResponse> Detect([FromForm] DetectForm form, CancellationToken ct)
    {
        var image = await Uploads.ReadAsync(form.Image!, "image", ct);
        return DetectResponse.From(await recognition.DetectAsync(image, ct));
    }

    /// <summary>Enroll photos of a person.</summary>
    /// <remarks>
    /// Stores the primary face of each image for <c>subject</c> in <c>collection</c>. All images are analyzed before
    /// anything is written and the faces are written in one transaction: if any image has no face the request fails
    /// with 422 <c>no_face</c> and nothing is stored. An image whose face is below <c>minQuality</c> is not enrolled and
    /// is listed in <c>refused</c> with its reasons (<c>small_face</c>, <c>blurred</c>, <c>extreme_pose</c>,
    /// <c>low_confidence</c>); if every image is refused the request fails with 422 <c>low_quality</c>. Enrolling the
    /// same image bytes for the same subject again returns the stored face (same <c>faceId</c>, no duplicate).
    /// </remarks>
    /// <response code="201">The enrolled faces, one per image in upload order.</response>
    [HttpPost("enroll")]
    [RequireRole(ApiKeyRole.Write)]
    [MultipartUpload]
    [ProducesResponseType<EnrollResponse>(StatusCodes.Status201Created, "application/json")]
    [ProducesProblem(ErrorCodes.ValidationFailed, ErrorCodes.InvalidImage)]
    [ProducesProblem(ErrorCodes.ImageTooLarge, ErrorCodes.NoFace)]
    [ProducesProblem(ErrorCodes.LowQuality)]
    [ProducesProblem(ErrorCodes.DatabaseUnavailable, ErrorCodes.ModelUnavailable)]
    public async Task<ActionResult<EnrollResponse>> Enroll([FromForm] EnrollForm form, CancellationToken ct)
    {
        var images = await Uploads.ReadAllAsync(form.Image!, "image", ct);
        var result = EnrollResponse.From(await recognition.EnrollAsync(form.Collection, form.Subject!.Value, images, HttpContext.AuditActor(), form.MinQuality, ct));
        return CreatedAtAction(nameof(SubjectsController.GetSubject), "Subjects",
            new { subject = result.Subject, collection = result.Collection }, result);
    }

    /// <summary>Are two faces the same person?</summary>
    /// <remarks>
    /// Compares the primary face of <c>image1</c> with the primary face of <c>image2</c>, or with the stored faces of
    /// <c>subject</c> (in <c>collection</c>), where the distance is the minimum over the subject's faces.
    /// <c>distance</c> is the squared L2 distance of the unit embeddings (0..4); <c>verified</c> is distance ≤ threshold.
    /// The threshold is set by a false-accept rate (<c>maxFalseAcceptRate</c>, default configured) unless the request
    /// gives a distance (<c>threshold</c>); one or the other. <c>falseAcceptRate</c> is the estimated share of pairs of
    /// different people at least this close, <c>thresholdFalseAcceptRate</c> that of the threshold.
    /// </remarks>
    /// <response code="200">The decision and the distance.</response>
    [HttpPost("verify")]
    [StandbyReads]
    [MultipartUpload]
    [ProducesResponseType<VerifyResponse>(StatusCodes.Status200OK, "application/json")]
    [ProducesProblem(ErrorCodes.ValidationFailed, ErrorCodes.InvalidImage)]
    [ProducesProblem(ErrorCodes.SubjectNotFound)]
    [ProducesProblem(ErrorCodes.ImageTooLarge, ErrorCodes.NoFace)]
    [ProducesProblem(ErrorCodes.DatabaseUnavailable, ErrorCodes.ModelUnavailable)]
    public async Task<ActionResult<VerifyResponse>> Verify([FromForm] VerifyForm form, CancellationToken ct)
    {
        if ((form.Image2 is null) == (form.Subject is null))
            return ApiProblems.Result(HttpContext, ErrorCatalog.ValidationFailed, "Give image2 or subject, not both.", form.Subject is null ? "subject" : "image2");

        var image1 = await Uploads.ReadAsync(form.Image1!, "image1", ct);
        var result = form.Subject is { } subject
            ? await recognition.VerifySubjectAsync(image1, form.Collection, subject, form.Threshold, form.MaxFalseAcceptRate, ct)
            : await recognition.VerifyImagesAsync(image1, await Uploads.ReadAsync(form.Image2!, "image2", ct), form.Threshold, form.MaxFalseAcceptRate, ct);
        return VerifyResponse.From(result);
    }

    /// <summary>Who is in this photo?</summary>
    /// <remarks>
    /// For the primary face (or every face with <c>allFaces</c>), the <c>k</c> nearest enrolled subjects of
    /// <c>collection</c>, one best entry per subject, nearest first. A candidate within <c>threshold</c> is a match.
    /// The threshold keeps the share of strangers matched to someone within a false-positive identification rate at the
    /// collection's size (<c>maxFalsePositiveIdentificationRate</c>, default configured: 1 %), so it falls as the
    /// collection grows; or it is the request's <c>threshold</c>. Each candidate carries the estimated false-accept
    /// rate of its distance and the share of strangers who would score that well against this collection;
    /// with several faces no subject is given to two faces of the photo: pairs are assigned greedily by distance, so a
    /// face whose best subject went to a closer face gets its next candidate. A photo without a face answers 200
    /// with an empty <c>faces</c> list.
    /// </remarks>
    /// <response code="200">The faces and their candidates (possibly no faces).</response>
    [HttpPost("identify")]
    [StandbyReads]
    [MultipartUpload]
    [ProducesResponseType<IdentifyResponse>(StatusCodes.Status200OK, "application/json")]
    [ProducesProblem(ErrorCodes.ValidationFailed, ErrorCodes.InvalidImage)]
    [ProducesProblem(ErrorCodes.ImageTooLarge)]
    [ProducesProblem(ErrorCodes.DatabaseUnavailable, ErrorCodes.ModelUnavailable)]
    public async Task<IdentifyResponse> Identify([FromForm] IdentifyForm form, CancellationToken ct)
    {
        var image = await Uploads.ReadAsync(form.Image!, "image", ct);
        var parameters = new IdentifyParameters(form.K, form.Threshold, form.MaxFalsePositiveIdentificationRate, form.AllFaces, form.EfSearch);
        return IdentifyResponse.From(await recognition.IdentifyAsync(image, form.Collection, parameters, ct));
    }
}
