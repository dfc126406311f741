using FaceService.Core.Naming;
using FaceService.Core.Security;
using FaceService.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceService.Core.Services;

/// <summary>Listing and erasing subjects, faces and collections; unknown names become typed not-found errors.</summary>
public sealed class FaceCatalogService(IFaceStore store, IOptions<RecognitionOptions> options, FaceServiceMetrics metrics, ILogger<FaceCatalogService> logger)
{
    public const int DefaultPageSize = 50;

    public Task<Paged<SubjectSummary>> ListSubjectsAsync(CollectionName collection, int? page, int? pageSize, CancellationToken ct = default)
    {
        var p = page ?? 1;
        var size = pageSize ?? DefaultPageSize;
        if (p < 1) throw new FaceServiceException(FaceServiceError.ValidationFailed, "page starts at 1.", "page");
        if (size < 1 || size > options.Value.MaxPageSize)
            throw new FaceServiceException(FaceServiceError.ValidationFailed, $"pageSize must be between 1 and {options.Value.MaxPageSize}.", "pageSize");
        return store.ListSubjectsAsync(collection, p, size, ct);
    }

    public async Task<SubjectSummary> GetSubjectAsync(CollectionName collection, SubjectId subject, CancellationToken ct = default)
    {
        return await store.GetSubjectAsync(collection, subject, ct) ?? throw FaceServiceException.SubjectNotFound(subject, collection);
    }

    public async Task<(string Collection, string Subject, IReadOnlyList<StoredFace> Faces)> GetSubjectFacesAsync(CollectionName collection, SubjectId subject, CancellationToken ct = default)
    {
        var faces = await store.GetSubjectFacesAsync(collection, subject, ct);
        return faces.Count == 0 ? throw FaceServiceException.SubjectNotFound(subject, collection) : (collection.Value, subject.Value, faces);
    }

    /// <summary>Right to erasure: removes every stored face of the subject in the collection, audited as <paramref name="actor"/>.</summary>
    public async Task<int> DeleteSubjectAsync(CollectionName collection, SubjectId subject, AuditActor actor, CancellationToken ct = default)
    {
        var removed = await store.DeleteSubjectAsync(collection, subject, actor, ct);
        if (removed == 0) throw FaceServiceException.SubjectNotFound(subject, collection);
        metrics.FacesErased(removed);
        // The subject id is left out on purpose: it is often a person's name, and logs outlive erasure.
        logger.LogInformation("Erased a subject: {FaceCount} face(s) removed from collection {Collection}", removed, collection);
        return removed;
    }

    /// <summary>
    /// Deletes one face if the caller's <paramref name="scope"/> may write its collection, and returns it. A face the
    /// caller may not touch is answered like a missing one (face_not_found), so ids of other collections' faces do not leak.
    /// </summary>
    public async Task<StoredFace> DeleteFaceAsync(Guid faceId, ApiKeyScope scope, AuditActor actor, CancellationToken ct = default)
    {
        var face = await store.GetFaceAsync(faceId, ct);
        if (face is null || !scope.Allows(ApiKeyRole.Write, face.Collection) || !await store.DeleteFaceAsync(faceId, actor, ct))
            throw new FaceServiceException(FaceServiceError.FaceNotFound, $"No face {faceId}.", "faceId");
        metrics.FacesErased(1);
        logger.LogInformation("Deleted face {FaceId}", faceId);
        return face;
    }

    /// <summary>The collections that hold faces and that <paramref name="scope"/> may read.</summary>
    public async Task<IReadOnlyList<CollectionSummary>> ListCollectionsAsync(ApiKeyScope scope, CancellationToken ct = default) =>
        (await store.ListCollectionsAsync(ct)).Where(c => scope.Allows(ApiKeyRole.Read, c.Collection)).ToList();

    public async Task<int> DeleteCollectionAsync(CollectionName collection, AuditActor actor, CancellationToken ct = default)
    {
        var removed = await store.DeleteCollectionAsync(collection, actor, ct);
        if (removed == 0)
            throw new FaceServiceException(FaceServiceError.CollectionNotFound, $"Collection '{collection}' has no faces.", "collection");
        metrics.FacesErased(removed);
        logger.LogInformation("Deleted collection {Collection}: {FaceCount} face(s) removed", collection, removed);
        return removed;
    }
}
