using FaceService.Core.Services;
using Microsoft.AspNetCore.WebUtilities;

namespace FaceService.Api.Errors;

/// <summary>One stable error: the <c>code</c> extension of its problem details, its HTTP status and title.</summary>
public sealed record ErrorDefinition(string Code, int Status, string Title, string ExampleDetail);

/// <summary>Every error code the API answers with. Codes are a public contract: add, never rename.</summary>
public static class ErrorCatalog
{
    public static readonly ErrorDefinition ValidationFailed = new(ErrorCodes.ValidationFailed, 400, "The request is not valid",
        "k must be between 1 and 100.");
    public static readonly ErrorDefinition InvalidImage = new(ErrorCodes.InvalidImage, 400, "The upload is not a readable image",
        "image ('photo.jpg'): the data is not a JPEG, PNG, WebP, BMP or GIF image, or it is truncated.");
    public static readonly ErrorDefinition NotFound = new(ErrorCodes.NotFound, 404, "No such endpoint",
        "There is no endpoint at this path.");
    public static readonly ErrorDefinition SubjectNotFound = new(ErrorCodes.SubjectNotFound, 404, "Subject not found",
        "Subject 'alice' has no faces in collection 'default'.");
    public static readonly ErrorDefinition FaceNotFound = new(ErrorCodes.FaceNotFound, 404, "Face not found",
        "No face 3f2b8c1e-9a4d-4e57-8b0a-6c1d2e3f4a5b.");
    public static readonly ErrorDefinition CollectionNotFound = new(ErrorCodes.CollectionNotFound, 404, "Collection not found",
        "Collection 'visitors' has no faces.");
    public static readonly ErrorDefinition MethodNotAllowed = new(ErrorCodes.MethodNotAllowed, 405, "Method not allowed",
        "This endpoint does not accept the request's HTTP method.");
    public static readonly ErrorDefinition PayloadTooLarge = new(ErrorCodes.PayloadTooLarge, 413, "The request or a file is too large",
        "image[0] ('scan.jpg') has 15728640 bytes; at most 10485760 per file.");
    public static readonly ErrorDefinition TooManyFiles = new(ErrorCodes.TooManyFiles, 413, "Too many files",
        "40 files uploaded; at most 32 per request.");
    public static readonly ErrorDefinition UnsupportedMediaType = new(ErrorCodes.UnsupportedMediaType, 415, "Unsupported media type",
        "This endpoint takes multipart/form-data.");
    public static readonly ErrorDefinition UnsupportedImageFormat = new(ErrorCodes.UnsupportedImageFormat, 415, "Unsupported image format",
        "image ('photo.heic'): the image format is not supported; send JPEG, PNG, WebP, BMP or GIF.");
    public static readonly ErrorDefinition ImageTooLarge = new(ErrorCodes.ImageTooLarge, 422, "The image has too many pixels",
        "image ('huge.png'): 100000x100000 pixels is more than the limit of 40000000.");
    public static readonly ErrorDefinition NoFace = new(ErrorCodes.NoFace, 422, "No face in the image",
        "image[1] ('dog.jpg') shows no face; nothing was enrolled.");
    public static readonly ErrorDefinition TooManyFaces = new(ErrorCodes.TooManyFaces, 422, "Too many faces to cluster",
        "25000 faces to cluster; at most 20000 per request.");
    public static readonly ErrorDefinition InternalError = new(ErrorCodes.InternalError, 500, "Internal server error",
        "An unexpected error occurred; it has been logged with the trace id.");
    public static readonly ErrorDefinition DatabaseUnavailable = new(ErrorCodes.DatabaseUnavailable, 503, "The database is unavailable",
        "The face store cannot be reached; retry after the time in Retry-After.");
    public static readonly ErrorDefinition ModelUnavailable = new(ErrorCodes.ModelUnavailable, 503, "The face models are unavailable",
        "The face models could not run; retry after the time in Retry-After.");
    public static readonly ErrorDefinition Overloaded = new(ErrorCodes.Overloaded, 503, "The service is overloaded",
        "More than 8 requests are running and 64 waiting; retry after the time in Retry-After.");
    public static readonly ErrorDefinition Unauthorized = new(ErrorCodes.Unauthorized, 401, "An API key is required",
        "This endpoint needs an API key in the X-API-Key header or as Authorization: Bearer <key>.");
    public static readonly ErrorDefinition KeyExpired = new(ErrorCodes.KeyExpired, 401, "The API key has expired",
        "This API key expired at 2027-06-30T00:00:00Z; ask an admin for a new one (or rotate keys before they end).");
    public static readonly ErrorDefinition Forbidden = new(ErrorCodes.Forbidden, 403, "The key may not do this",
        "This key may not write collection 'visitors'.");
    public static readonly ErrorDefinition KeyNotFound = new(ErrorCodes.KeyNotFound, 404, "API key not found",
        "No API key 5f1c2a9e7b3d4c60.");
    public static readonly ErrorDefinition RateLimited = new(ErrorCodes.RateLimited, 429, "Too many requests for this key",
        "This key made more than its 6000 requests a minute; retry after 12 s.");
    public static readonly ErrorDefinition ClusterNotFound = new(ErrorCodes.ClusterNotFound, 404, "Cluster not found",
        "Collection 'family' has no cluster 17.");
    public static readonly ErrorDefinition ClusterChanged = new(ErrorCodes.ClusterChanged, 409, "The cluster changed meanwhile",
        "Cluster 17 is at version 5, not 3: faces joined or left it since; look at it again.");
    public static readonly ErrorDefinition SubjectExists = new(ErrorCodes.SubjectExists, 409, "A subject of that name exists",
        "Collection 'family' already has a subject 'kit'; merge into it instead.");
    public static readonly ErrorDefinition PhotoConflict = new(ErrorCodes.PhotoConflict, 409, "Two faces of one photo for one subject",
        "Subject 'kit' already has a face of a photo this change would give it a second face of.");
    public static readonly ErrorDefinition JobNotFound = new(ErrorCodes.JobNotFound, 404, "Job not found",
        "No job 0192f3c4-5b6a-7d8e-9f01-23456789abcd.");
    public static readonly ErrorDefinition JobRunning = new(ErrorCodes.JobRunning, 409, "A recluster is already queued or running",
        "Collection 'family' has recluster job 0192f3c4-5b6a-7d8e-9f01-23456789abcd running; wait for it or cancel it.");
    public static readonly ErrorDefinition InvalidConsistencyToken = new(ErrorCodes.InvalidConsistencyToken, 400, "The consistency token is not valid",
        "The Consistency-Token header must be one value as a write answer gave it (such as 0/16B3F48).");
    public static readonly ErrorDefinition LowQuality = new(ErrorCodes.LowQuality, 422, "Every face is below the quality asked for",
        "image ('blurred.jpg'): the face's quality 0.21 is below minQuality 0.5 (blurred); nothing was stored.");

    public static IReadOnlyList<ErrorDefinition> All { get; } =
    [
        ValidationFailed, InvalidImage, NotFound, SubjectNotFound, FaceNotFound, CollectionNotFound, MethodNotAllowed,
        PayloadTooLarge, TooManyFiles, UnsupportedMediaType, UnsupportedImageFormat, ImageTooLarge, NoFace, TooManyFaces,
        InternalError, DatabaseUnavailable, ModelUnavailable, Overloaded, Unauthorized, KeyExpired, Forbidden, KeyNotFound, RateLimited,
        ClusterNotFound, ClusterChanged, SubjectExists, PhotoConflict, JobNotFound, JobRunning, LowQuality, InvalidConsistencyToken,
    ];

    private static readonly Dictionary<string, ErrorDefinition> ByCode = All.ToDictionary(e => e.Code);

    public static ErrorDefinition Get(string code) => ByCode[code];

    /// <summary>The code for a bare status (framework-produced 4xx/5xx that carry no code of ours).</summary>
    public static ErrorDefinition ForStatus(int status) => status switch
    {
        400 => ValidationFailed,
        404 => NotFound,
        405 => MethodNotAllowed,
        413 => PayloadTooLarge,
        415 => UnsupportedMediaType,
        500 => InternalError,
        // Others (401, 429, 503 from a limiter, ...) get their reason phrase in snake case: too_many_requests.
        _ => new ErrorDefinition(SnakeCase(ReasonPhrases.GetReasonPhrase(status)) is { Length: > 0 } code ? code : $"http_{status}",
            status, ReasonPhrases.GetReasonPhrase(status), ""),
    };

    private static string SnakeCase(string phrase) => string.Join('_', phrase.ToLowerInvariant().Split(' ', '-'));

    public static ErrorDefinition For(FaceServiceError error) => error switch
    {
        FaceServiceError.ValidationFailed => ValidationFailed,
        FaceServiceError.InvalidImage => InvalidImage,
        FaceServiceError.UnsupportedImageFormat => UnsupportedImageFormat,
        FaceServiceError.ImageTooLarge => ImageTooLarge,
        FaceServiceError.NoFace => NoFace,
        FaceServiceError.SubjectNotFound => SubjectNotFound,
        FaceServiceError.FaceNotFound => FaceNotFound,
        FaceServiceError.CollectionNotFound => CollectionNotFound,
        FaceServiceError.TooManyFaces => TooManyFaces,
        FaceServiceError.Forbidden => Forbidden,
        FaceServiceError.KeyNotFound => KeyNotFound,
        FaceServiceError.ClusterNotFound => ClusterNotFound,
        FaceServiceError.ClusterChanged => ClusterChanged,
        FaceServiceError.SubjectExists => SubjectExists,
        FaceServiceError.PhotoConflict => PhotoConflict,
        FaceServiceError.JobNotFound => JobNotFound,
        FaceServiceError.JobRunning => JobRunning,
        FaceServiceError.LowQuality => LowQuality,
        _ => throw new ArgumentOutOfRangeException(nameof(error), error, null),
    };
}
