using FaceService.Core.Naming;

namespace FaceService.Core.Services;

/// <summary>Why a request to the face services failed; each maps to one stable API error code and status.</summary>
public enum FaceServiceError
{
    /// <summary>A field is missing or out of range (bad k, threshold, subject id, ...).</summary>
    ValidationFailed,
    /// <summary>Empty, not an image, truncated or corrupt.</summary>
    InvalidImage,
    /// <summary>A real image in a format the decoder does not read.</summary>
    UnsupportedImageFormat,
    /// <summary>The image declares more pixels than the configured limit.</summary>
    ImageTooLarge,
    /// <summary>An image in which a face is required shows none.</summary>
    NoFace,
    SubjectNotFound,
    FaceNotFound,
    CollectionNotFound,
    /// <summary>More work than one request may ask for (e.g. too many stored faces to cluster at once).</summary>
    TooManyFaces,
    /// <summary>The caller's key does not reach the collection it names.</summary>
    Forbidden,
    /// <summary>No valid API key of that id within the caller's reach.</summary>
    KeyNotFound,
    ClusterNotFound,
    /// <summary>The cluster changed since the version the request names (faces joined, left, or a recluster ran).</summary>
    ClusterChanged,
    /// <summary>A subject of the new name already exists (rename), where the request needs a free name.</summary>
    SubjectExists,
    /// <summary>The change would give one subject two faces of one photo (a person is never twice in a picture).</summary>
    PhotoConflict,
    JobNotFound,
    /// <summary>The collection already has a recluster queued or running.</summary>
    JobRunning,
    /// <summary>Every face of the request is below its minQuality: nothing was stored.</summary>
    LowQuality,
}

/// <summary>A caller's mistake or a missing resource, raised by the application services; never a server fault.</summary>
public sealed class FaceServiceException(FaceServiceError error, string message, string? target = null, Exception? inner = null)
    : Exception(message, inner)
{
    public FaceServiceError Error { get; } = error;

    /// <summary>The request field the error is about (e.g. "image[1]", "subject"), when there is one.</summary>
    public string? Target { get; } = target;

    public static FaceServiceException SubjectNotFound(SubjectId subject, CollectionName collection) =>
        new(FaceServiceError.SubjectNotFound, $"Subject '{subject}' has no faces in collection '{collection}'.", "subject");
}
