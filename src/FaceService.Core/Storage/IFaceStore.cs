using FaceService.Core.Faces;
using FaceService.Core.Naming;
using FaceService.Core.Security;

namespace FaceService.Core.Storage;

/// <summary>A face to store: the 128-byte quantized code is the canonical form of the embedding.</summary>
/// <param name="Quality">Its quality score (0..1), when scored.</param>
/// <param name="LowQuality">Below the service's quality floor (stored because the caller lowered minQuality): left out of templates and clusters.</param>
public sealed record NewFace(SubjectId Subject, FaceBox Box, float Score, string ImageSha256, sbyte[] Code, float? Quality = null, bool LowQuality = false);

/// <param name="Subject">The person the face is named as; null for a face indexed and not named yet.</param>
/// <param name="ClusterId">The cluster of an unnamed face; null once named, and for a low-quality face.</param>
/// <param name="Quality">The face's quality score when it was stored; null for faces stored before scores were kept.</param>
/// <param name="Source">The name the client gave the photo (a file name or path), when it gave one.</param>
public sealed record StoredFace(
    Guid FaceId, string? Subject, string Collection, FaceBox Box, float Score,
    string ImageSha256, string ModelId, DateTimeOffset CreatedAt, long? ClusterId = null, float? Quality = null, bool LowQuality = false,
    string? Source = null);

/// <summary>
/// A subject near a query: <see cref="Distance"/> is squared L2 (0..4) between the query and the subject's template,
/// the normalised mean of its <see cref="Faces"/> faces (<see cref="Embeddings.SubjectTemplate"/>).
/// </summary>
public sealed record SubjectMatch(string Subject, int Faces, float Distance);

/// <summary>How many subjects (templates) and faces of one model a collection holds.</summary>
public readonly record struct GallerySize(long Subjects, long Faces);

public sealed record SubjectSummary(string Subject, string Collection, int FaceCount, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public sealed record CollectionSummary(string Collection, int SubjectCount, int FaceCount);

public sealed record Paged<T>(IReadOnlyList<T> Items, int Page, int PageSize, long Total);

/// <summary>A stored code with its identity and the image it came from, for clustering and exact comparisons.</summary>
/// <param name="Subject">Null for an unnamed face.</param>
/// <param name="LowQuality">Stored below the quality threshold (<see cref="NewFace.LowQuality"/>).</param>
public sealed record StoredCode(Guid FaceId, string? Subject, sbyte[] Code, string ImageSha256, bool LowQuality = false);

/// <summary>
/// Persistence of quantized face codes, scoped by collection and model id (codes of different models are never compared).
/// Every write is one transaction: it stores all of its faces or none. A write given an <see cref="AuditActor"/> adds
/// its audit record in that transaction (a write that changes nothing records nothing).
/// </summary>
public interface IFaceStore
{
    /// <summary>
    /// Stores faces for subjects in a collection. Idempotent: a face whose (collection, subject, image sha256, model)
    /// is already stored is returned as it is, not duplicated.
    /// </summary>
    Task<IReadOnlyList<StoredFace>> EnrollAsync(CollectionName collection, string modelId, IReadOnlyList<NewFace> faces, AuditActor? actor = null,
        CancellationToken ct = default);

    /// <summary>The k subjects whose templates are nearest to the code, nearest first.</summary>
    /// <param name="efSearch">The index's search breadth for this call (1..<see cref="StoreLimits.MaxEfSearch"/>); null: the configured one.</param>
    Task<IReadOnlyList<SubjectMatch>> SearchSubjectsAsync(CollectionName collection, string modelId, sbyte[] code, int k, int? efSearch = null,
        CancellationToken ct = default);

    /// <summary>For each of the subjects (of the model in the collection), its stored face nearest to the code.</summary>
    Task<IReadOnlyDictionary<string, Guid>> NearestFacesAsync(CollectionName collection, string modelId, sbyte[] code, IReadOnlyCollection<string> subjects,
        CancellationToken ct = default);

    /// <summary>
    /// Subjects and faces of the model in the collection: the gallery a search compares a face with (zeros when there
    /// are none). Cheap at any size (maintained counts, not a scan).
    /// </summary>
    Task<GallerySize> GetGallerySizeAsync(CollectionName collection, string modelId, CancellationToken ct = default);

    /// <summary>Faces stored under each model id, over all collections (a maintained count, not a scan).</summary>
    Task<IReadOnlyDictionary<string, long>> CountFacesByModelAsync(CancellationToken ct = default);

    /// <summary>Stored codes of one subject (for verify against a subject); empty if the subject is unknown.</summary>
    Task<IReadOnlyList<StoredCode>> GetSubjectCodesAsync(CollectionName collection, string modelId, SubjectId subject, CancellationToken ct = default);

    /// <summary>
    /// SHA-256 (lower-case hex) of the images already enrolled for the subject under the model, so that a bulk import
    /// can skip them before running the models; empty if the subject is unknown.
    /// </summary>
    Task<IReadOnlySet<string>> GetSubjectImageHashesAsync(CollectionName collection, string modelId, SubjectId subject, CancellationToken ct = default);

    /// <summary>Stored codes of a collection, optionally restricted to the given ids (for clustering).</summary>
    Task<IReadOnlyList<StoredCode>> GetCodesAsync(CollectionName collection, string modelId, IReadOnlyCollection<Guid>? faceIds, CancellationToken ct = default);

    Task<Paged<SubjectSummary>> ListSubjectsAsync(CollectionName collection, int page, int pageSize, CancellationToken ct = default);
    Task<SubjectSummary?> GetSubjectAsync(CollectionName collection, SubjectId subject, CancellationToken ct = default);
    Task<IReadOnlyList<StoredFace>> GetSubjectFacesAsync(CollectionName collection, SubjectId subject, CancellationToken ct = default);

    /// <summary>Erases every face of the subject (right to erasure). Returns the number of faces removed; 0 if unknown.</summary>
    Task<int> DeleteSubjectAsync(CollectionName collection, SubjectId subject, AuditActor? actor = null, CancellationToken ct = default);

    /// <summary>One stored face, in whichever collection it is; null if no such face.</summary>
    Task<StoredFace?> GetFaceAsync(Guid faceId, CancellationToken ct = default);

    /// <summary>Returns false if no such face.</summary>
    Task<bool> DeleteFaceAsync(Guid faceId, AuditActor? actor = null, CancellationToken ct = default);

    Task<IReadOnlyList<CollectionSummary>> ListCollectionsAsync(CancellationToken ct = default);

    /// <summary>Returns the number of faces removed; 0 if the collection is unknown or empty.</summary>
    Task<int> DeleteCollectionAsync(CollectionName collection, AuditActor? actor = null, CancellationToken ct = default);
}

/// <summary>The store could not be reached; the API answers 503 database_unavailable with Retry-After.</summary>
public sealed class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Every database connection is busy and the call was shed rather than queued; the API answers 503 overloaded with Retry-After.</summary>
public sealed class StoreOverloadedException(string message) : Exception(message);
