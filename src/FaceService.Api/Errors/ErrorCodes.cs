namespace FaceService.Api.Errors;

/// <summary>The codes as constants, for attributes (which take compile-time constants).</summary>
public static class ErrorCodes
{
    public const string ValidationFailed = "validation_failed";
    public const string InvalidImage = "invalid_image";
    public const string NotFound = "not_found";
    public const string SubjectNotFound = "subject_not_found";
    public const string FaceNotFound = "face_not_found";
    public const string CollectionNotFound = "collection_not_found";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string PayloadTooLarge = "payload_too_large";
    public const string TooManyFiles = "too_many_files";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string UnsupportedImageFormat = "unsupported_image_format";
    public const string ImageTooLarge = "image_too_large";
    public const string NoFace = "no_face";
    public const string TooManyFaces = "too_many_faces";
    public const string InternalError = "internal_error";
    public const string DatabaseUnavailable = "database_unavailable";
    public const string ModelUnavailable = "model_unavailable";
    public const string Overloaded = "overloaded";
    public const string Unauthorized = "unauthorized";
    public const string KeyExpired = "key_expired";
    public const string Forbidden = "forbidden";
    public const string KeyNotFound = "key_not_found";
    public const string RateLimited = "rate_limited";
    public const string ClusterNotFound = "cluster_not_found";
    public const string ClusterChanged = "cluster_changed";
    public const string SubjectExists = "subject_exists";
    public const string PhotoConflict = "photo_conflict";
    public const string JobNotFound = "job_not_found";
    public const string JobRunning = "job_running";
    public const string LowQuality = "low_quality";
    public const string InvalidConsistencyToken = "invalid_consistency_token";
}
