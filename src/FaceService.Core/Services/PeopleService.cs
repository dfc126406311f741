using System.Security.Cryptography;
using FaceService.Core.Embeddings;
using FaceService.Core.Faces;
using FaceService.Core.Naming;
using FaceService.Core.Security;
using FaceService.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceService.Core.Services;

/// <summary>A face of an indexed photo that was not stored, and why (the parts of its quality below minQuality).</summary>
public sealed record RefusedFace(FaceBox Box, float Score, FaceQuality Quality, IReadOnlyList<QualityIssue> Reasons);

/// <summary>One photo of an index request: the faces stored (or, indexed before, stored then) and those refused.</summary>
public sealed record IndexedImage(string Field, string? FileName, string ImageSha256, bool AlreadyIndexed, IReadOnlyList<StoredFace> Faces,
    IReadOnlyList<RefusedFace> Refused, int FacesDetected);

/// <param name="MinQuality">The quality threshold the request was held to.</param>
public sealed record IndexResult(string Collection, float MinQuality, IReadOnlyList<IndexedImage> Images);

/// <summary>
/// People of a collection: photos indexed face by face without names, the clusters their faces join, and the changes
/// that turn clusters into named subjects and correct them. HTTP-free, like <see cref="FaceRecognitionService"/>.
/// </summary>
public sealed class PeopleService(
    FaceRecognitionService recognition,
    IFacePipeline pipeline,
    IFaceStore faces,
    IPeopleStore store,
    IReclusterJobStore jobs,
    IEmbeddingQuantizer quantizer,
    IOptions<QualityOptions> quality,
    IOptions<RecognitionOptions> recognitionOptions,
    IOptions<PeopleOptions> peopleOptions,
    ILogger<PeopleService> logger)
{
    /// <summary>Faces shown per cluster in a listing unless asked otherwise.</summary>
    public const int DefaultSample = 4;

    private readonly QualityOptions _quality = quality.Value;

    /// <summary>
    /// Stores every face of every photo that reaches <paramref name="minQuality"/> (default: Quality:MinQuality) without a
    /// subject; each joins the cluster of its person among the collection's unnamed faces, or starts one. Faces below the
    /// service's own threshold that a lower minQuality lets in are stored as low quality: kept out of clusters and templates.
    /// Every photo is analysed before anything is stored; each photo is then stored in a transaction of its own, so that a
    /// request cut short keeps the photos it stored, and indexing a photo again changes nothing.
    /// </summary>
    public async Task<IndexResult> IndexAsync(CollectionName collection, IReadOnlyList<ImageInput> images, float? minQuality, AuditActor actor,
        CancellationToken ct = default)
    {
        if (images.Count == 0) throw new FaceServiceException(FaceServiceError.ValidationFailed, "At least one image is required.", "image");
        var threshold = recognition.MinQualityFor(minQuality);
        var analyses = await recognition.AnalyzeAllAsync(images, FaceSelection.All, "index", ct);
        var results = new List<IndexedImage>(images.Count);
        for (var i = 0; i < images.Count; i++)
        {
            var image = images[i];
            var sha = Convert.ToHexStringLower(SHA256.HashData(image.Content.Span));
            var kept = analyses[i].Faces.Where(f => f.Quality.Score >= threshold).ToList();
            var refused = analyses[i].Faces.Where(f => f.Quality.Score < threshold).Select(f => FaceRecognitionService.Refuse(f, threshold)).ToList();
            var photo = new PhotoToIndex(sha, PhotoSource(image.FileName),
                [.. kept.Select(f => new FaceToIndex(f.Box, f.Score, f.Code, quantizer.Dequantize(f.Code), f.Quality.Score, f.Quality.Score < _quality.MinQuality))],
                refused.Count);
            var indexed = await store.IndexPhotoAsync(collection, pipeline.ModelId, photo, actor, ct);
            results.Add(new IndexedImage(image.Field, image.FileName, sha, indexed.AlreadyIndexed, indexed.Faces,
                indexed.AlreadyIndexed ? [] : refused, analyses[i].FacesDetected));
        }
        var stored = results.Sum(r => r.AlreadyIndexed ? 0 : r.Faces.Count);
        logger.LogInformation("Indexed {ImageCount} image(s) into collection {Collection}: {FaceCount} face(s) stored, {RefusedCount} refused",
            images.Count, collection, stored, results.Sum(r => r.Refused.Count));
        if (stored > 0) await QueueReclusterIfGrownAsync(collection, ct);
        return new IndexResult(collection.Value, threshold, results);
    }

    /// <summary>
    /// Faces join clusters one at a time, with fewer of each person's faces together than clustering them at once
    /// (docs/CLUSTERING.md, Incremental): once the collection has grown by People:AutoReclusterGrowth since its last
    /// recluster (and by People:AutoReclusterMinNewFaces faces at least), a recluster is queued. A collection
    /// reclustered at every quarter of growth is reclustered O(log n) times in all.
    /// </summary>
    private async Task QueueReclusterIfGrownAsync(CollectionName collection, CancellationToken ct)
    {
        var options = peopleOptions.Value;
        if (!options.AutoRecluster) return;
        var last = (await jobs.ListAsync(collection, 1, ct)).FirstOrDefault(j => j.ModelId == pipeline.ModelId);
        if (last is { State: JobState.Queued or JobState.Running }) return;
        var size = await faces.GetGallerySizeAsync(collection, pipeline.ModelId, ct);
        var before = last?.GalleryFaces ?? 0;
        if (size.Faces < before + options.AutoReclusterMinNewFaces || size.Faces < before * (1 + options.AutoReclusterGrowth)) return;
        try
        {
            var job = await jobs.CreateAsync(collection, pipeline.ModelId, PeopleOptions.AutoRequester, ct);
            logger.LogInformation("Recluster job {JobId} of collection {Collection} queued: {Faces} faces, {Before} at the last recluster",
                job.JobId, collection, size.Faces, before);
        }
        catch (FaceServiceException e) when (e.Error == FaceServiceError.JobRunning)
        {
            // Another request queued one meanwhile.
        }
    }

    /// <summary>Longest photo name kept (the store's limit); a longer one keeps its end, where the file name is.</summary>
    public const int MaxSourceLength = 1024;

    /// <summary>
    /// The client's name for a photo as it is kept: without control characters (a client may send anything there), its
    /// last <see cref="MaxSourceLength"/> characters, or null when nothing is left.
    /// </summary>
    public static string? PhotoSource(string? fileName)
    {
        if (fileName is null) return null;
        var name = new string([.. fileName.Where(c => !char.IsControl(c))]).Trim();
        if (name.Length > MaxSourceLength)
        {
            name = name[^MaxSourceLength..];
            if (char.IsLowSurrogate(name[0])) name = name[1..];
        }
        return name.Length == 0 ? null : name;
    }

    public Task<ClusterListing> ListClustersAsync(CollectionName collection, int page, int pageSize, int minFaces, int? sample, CancellationToken ct = default)
    {
        if (pageSize > recognitionOptions.Value.MaxPageSize)
            throw new FaceServiceException(FaceServiceError.ValidationFailed, $"pageSize must be at most {recognitionOptions.Value.MaxPageSize}.", "pageSize");
        return store.ListClustersAsync(collection, pipeline.ModelId, page, pageSize, minFaces, sample ?? DefaultSample, ct);
    }

    public async Task<ClusterSummary> GetClusterAsync(CollectionName collection, long clusterId, CancellationToken ct = default) =>
        await store.GetClusterAsync(collection, clusterId, ct)
        ?? throw new FaceServiceException(FaceServiceError.ClusterNotFound, $"Collection '{collection}' has no cluster {clusterId}.", "clusterId");

    /// <summary>Names a cluster; with <paramref name="expectedVersion"/>, only the cluster as the caller saw it.</summary>
    public Task<IReadOnlyList<StoredFace>> NameClusterAsync(CollectionName collection, long clusterId, SubjectId subject, int? expectedVersion,
        AuditActor actor, CancellationToken ct = default) =>
        store.NameClusterAsync(collection, clusterId, subject, expectedVersion, actor, ct);

    public Task<int> RenameSubjectAsync(CollectionName collection, SubjectId subject, SubjectId newName, AuditActor actor, CancellationToken ct = default) =>
        store.RenameSubjectAsync(collection, subject, newName, actor, ct);

    public Task<int> MergeSubjectsAsync(CollectionName collection, SubjectId subject, SubjectId into, AuditActor actor, CancellationToken ct = default) =>
        store.MergeSubjectsAsync(collection, subject, into, actor, ct);

    public Task<StoredFace> MoveFaceAsync(CollectionName collection, Guid faceId, SubjectId? subject, AuditActor actor, CancellationToken ct = default) =>
        store.MoveFaceAsync(collection, faceId, subject, actor, ct);

    public async Task<int> DeleteClusterAsync(CollectionName collection, long clusterId, AuditActor actor, CancellationToken ct = default)
    {
        var removed = await store.DeleteClusterAsync(collection, clusterId, actor, ct);
        return removed > 0 ? removed
            : throw new FaceServiceException(FaceServiceError.ClusterNotFound, $"Collection '{collection}' has no cluster {clusterId}.", "clusterId");
    }

    /// <summary>Queues a full recluster of the collection's unnamed faces (<see cref="ReclusterJobRunner"/> runs it).</summary>
    public Task<ReclusterJob> StartReclusterAsync(CollectionName collection, AuditActor actor, CancellationToken ct = default) =>
        jobs.CreateAsync(collection, pipeline.ModelId, actor.Name, ct);

    public async Task<ReclusterJob> GetJobAsync(Guid jobId, CancellationToken ct = default) =>
        await jobs.GetAsync(jobId, ct) ?? throw JobNotFound(jobId);

    public Task<IReadOnlyList<ReclusterJob>> ListJobsAsync(CollectionName collection, CancellationToken ct = default) =>
        jobs.ListAsync(collection, 20, ct);

    public async Task<ReclusterJob> CancelJobAsync(Guid jobId, CancellationToken ct = default) =>
        await jobs.RequestCancelAsync(jobId, ct) ?? throw JobNotFound(jobId);

    private static FaceServiceException JobNotFound(Guid jobId) => new(FaceServiceError.JobNotFound, $"No job {jobId}.", "jobId");
}
