using System.Security.Cryptography;
using FaceService.Core.Clustering;
using FaceService.Core.Embeddings;
using FaceService.Core.Faces;
using FaceService.Core.Imaging;
using FaceService.Core.Naming;
using FaceService.Core.Security;
using FaceService.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceService.Core.Services;

/// <summary>
/// Detect, enroll, verify, identify and cluster, over the face pipeline and the face store. HTTP-free: the API's
/// controllers only translate requests and results. Distances are squared L2 between the vectors that the 128-byte
/// codes stand for, so an upload compared with an upload gives the same number as with its stored copy.
/// </summary>
public sealed class FaceRecognitionService(
    IFacePipeline pipeline,
    IFaceStore store,
    PeopleClusterer peopleClusterer,
    AgglomerativeFaceClusterer agglomerativeClusterer,
    IEmbeddingQuantizer quantizer,
    MatchDecisions decisions,
    IOptions<RecognitionOptions> options,
    IOptions<ClusteringOptions> clusteringOptions,
    IOptions<QualityOptions> qualityOptions,
    FaceServiceMetrics metrics,
    ILogger<FaceRecognitionService> logger)
{
    private readonly RecognitionOptions _options = options.Value;
    private readonly ClusteringOptions _clustering = clusteringOptions.Value;
    private readonly QualityOptions _quality = qualityOptions.Value;

    public Task<ImageAnalysis<FoundFace>> DetectAsync(ImageInput image, CancellationToken ct = default) =>
        RunPipelineAsync(image, "detect", () => pipeline.DetectAsync(image.Content, ct), embedded: false);

    /// <summary>
    /// Stores the primary face (<see cref="PrimaryFace"/>) of each image for the subject. Every image is analyzed before anything is written, and
    /// the faces are written in one transaction: an image without a face fails the whole request and stores nothing.
    /// An image whose face is below <paramref name="minQuality"/> (default Quality:MinQuality) is not enrolled and is
    /// answered with its reasons; if no image is left, the request fails with <see cref="FaceServiceError.LowQuality"/>.
    /// Faces below the configured threshold that a lower minQuality lets in are stored as low quality, outside the
    /// subject's template. The same bytes enrolled again for the same subject give back the stored face (same id, no new
    /// row). The audit record of <paramref name="actor"/> is written in the same transaction.
    /// </summary>
    public async Task<EnrollResult> EnrollAsync(CollectionName collection, SubjectId subject, IReadOnlyList<ImageInput> images, AuditActor actor,
        float? minQuality = null, CancellationToken ct = default)
    {
        if (images.Count == 0) throw Invalid("At least one image is required.", "image");
        var threshold = MinQualityFor(minQuality);

        var analyses = await AnalyzeAllAsync(images, FaceSelection.Primary, "enroll", ct);
        var accepted = new List<(int Image, EmbeddedFace Face, string Sha256)>(images.Count);
        var refused = new List<RefusedImage>();
        for (var i = 0; i < images.Count; i++)
        {
            var face = analyses[i].Faces.FirstOrDefault()
                ?? throw new FaceServiceException(FaceServiceError.NoFace, $"{Describe(images[i])} shows no face; nothing was enrolled.", images[i].Field);
            if (face.Quality.Score < threshold)
                refused.Add(new RefusedImage(images[i].Field, images[i].FileName, Refuse(face, threshold)));
            else
                accepted.Add((i, face, Convert.ToHexStringLower(SHA256.HashData(images[i].Content.Span))));
        }
        if (accepted.Count == 0)
            throw new FaceServiceException(FaceServiceError.LowQuality, string.Join("; ", refused.Select(r =>
                $"{Describe(images.First(image => image.Field == r.Field))}: the face's quality {r.Face.Quality.Score:0.00} is below minQuality {threshold:0.##} " +
                $"({string.Join(", ", r.Face.Reasons.Select(reason => reason.Code()))})")) + "; nothing was enrolled.", refused[0].Field);

        // The same file twice in one request is one face.
        var newFaces = accepted.DistinctBy(f => f.Sha256)
            .Select(f => new NewFace(subject, f.Face.Box, f.Face.Score, f.Sha256, f.Face.Code, f.Face.Quality.Score, f.Face.Quality.Score < _quality.MinQuality))
            .ToList();
        var stored = (await store.EnrollAsync(collection, pipeline.ModelId, newFaces, actor, ct)).ToDictionary(f => f.ImageSha256);
        metrics.FacesEnrolled(newFaces.Count);
        logger.LogInformation("Enrolled {FaceCount} face(s) from {ImageCount} image(s) into collection {Collection}; {RefusedCount} refused",
            newFaces.Count, images.Count, collection, refused.Count);

        var result = accepted.Select(a =>
        {
            var (image, s) = (images[a.Image], stored[a.Sha256]);
            return new EnrolledFace(s.FaceId, s.Box, s.Score, s.ImageSha256, image.Field, image.FileName, analyses[a.Image].FacesDetected, a.Face.Quality,
                s.LowQuality);
        }).ToList();
        return new EnrollResult(subject.Value, collection.Value, threshold, result, refused);
    }

    /// <summary>The request's minQuality (0..1), or the configured one.</summary>
    public float MinQualityFor(float? minQuality) => minQuality switch
    {
        null => _quality.MinQuality,
        >= 0 and <= 1 => minQuality.Value,
        _ => throw Invalid("minQuality must be between 0 and 1.", "minQuality"),
    };

    /// <summary>A face below the threshold, with the parts of its quality that are.</summary>
    public static RefusedFace Refuse(FoundFace face, float threshold) => new(face.Box, face.Score, face.Quality, face.Quality.IssuesBelow(threshold));

    /// <summary>
    /// Compares the primary face of each of two images. The threshold is the request's distance, or the one for the
    /// request's false-accept rate, or for the configured rate (<see cref="MatchDecisions"/>).
    /// </summary>
    public async Task<VerifyResult> VerifyImagesAsync(ImageInput image1, ImageInput image2, float? threshold, double? maxFalseAcceptRate,
        CancellationToken ct = default)
    {
        var decision = decisions.ForVerify(threshold, maxFalseAcceptRate).ForComparisons(1);
        var analyses = await AnalyzeAllAsync([image1, image2], FaceSelection.Primary, "verify", ct);
        var face1 = RequireFace(image1, analyses[0]);
        var face2 = RequireFace(image2, analyses[1]);
        return Verified(decision, quantizer.SquaredDistance(face1.Code, face2.Code),
            [new VerifiedFace(image1.Field, face1.Box, face1.Score, analyses[0].FacesDetected),
             new VerifiedFace(image2.Field, face2.Box, face2.Score, analyses[1].FacesDetected)], null);
    }

    /// <summary>
    /// Compares the primary face of the image with every stored face of the subject; the distance is the minimum over
    /// them (the person's closest enrolled photo decides, as a human checker comparing against a set of photos would).
    /// A stranger compared with m photos has m chances to come close, so the rates are over m comparisons.
    /// </summary>
    public async Task<VerifyResult> VerifySubjectAsync(ImageInput image1, CollectionName collection, SubjectId subject, float? threshold,
        double? maxFalseAcceptRate, CancellationToken ct = default)
    {
        var rule = decisions.ForVerify(threshold, maxFalseAcceptRate);
        // The store is asked first: an unknown subject is answered without running the models.
        var stored = await store.GetSubjectCodesAsync(collection, pipeline.ModelId, subject, ct);
        if (stored.Count == 0) throw FaceServiceException.SubjectNotFound(subject, collection);

        var analysis = await AnalyzeAsync(image1, FaceSelection.Primary, "verify", ct);
        var face = RequireFace(image1, analysis);
        var best = stored.Select(s => (s.FaceId, Distance: quantizer.SquaredDistance(face.Code, s.Code))).MinBy(s => s.Distance);
        return Verified(rule.ForComparisons(stored.Count), best.Distance,
            [new VerifiedFace(image1.Field, face.Box, face.Score, analysis.FacesDetected)], best.FaceId);
    }

    private VerifyResult Verified(MatchDecision decision, float distance, IReadOnlyList<VerifiedFace> faces, Guid? matchedFaceId) =>
        new(distance <= decision.Threshold, distance, decisions.StrangerRate(distance, decision.Comparisons), decision.Threshold,
            decision.ThresholdRate, faces, matchedFaceId, matchedFaceId is null ? null : (int)decision.Comparisons);

    /// <summary>
    /// The k nearest subjects of the primary face (or of every face), each compared as one person (the template of its
    /// faces), surest first. A candidate matches when it is within the request's distance, or when it stands out from
    /// the other subjects nearest to the face so far that strangers' nearest subjects do so at most at the request's or
    /// the configured false-positive identification rate, at the collection's number of subjects
    /// (<see cref="IdentifyDecision"/>). With several faces no subject is assigned twice: see <see cref="IdentityAssignment"/>.
    /// </summary>
    public async Task<IdentifyResult> IdentifyAsync(ImageInput image, CollectionName collection, IdentifyParameters parameters, CancellationToken ct = default)
    {
        var count = parameters.K ?? _options.DefaultK;
        if (count < 1 || count > _options.MaxK) throw Invalid($"k must be between 1 and {_options.MaxK}.", "k");
        if (parameters.EfSearch is < 1 or > StoreLimits.MaxEfSearch) throw Invalid($"efSearch must be between 1 and {StoreLimits.MaxEfSearch}.", "efSearch");

        var gallery = await store.GetGallerySizeAsync(collection, pipeline.ModelId, ct);
        var decision = decisions.ForIdentify(parameters.Threshold, parameters.MaxFalsePositiveIdentificationRate, gallery.Subjects);
        var analysis = await AnalyzeAsync(image, parameters.AllFaces ? FaceSelection.All : FaceSelection.Primary, "identify", ct);
        var fetch = decisions.CandidatesToFetch(count);
        var judged = new List<IReadOnlyList<JudgedCandidate>>(analysis.Faces.Count);
        foreach (var face in analysis.Faces)
        {
            var nearest = await store.SearchSubjectsAsync(collection, pipeline.ModelId, face.Code, fetch, parameters.EfSearch, ct);
            judged.Add([.. decision.Judge(nearest).Take(count)]);
        }

        var assigned = IdentityAssignment.Assign(judged);
        var faces = new List<IdentifiedFace>(analysis.Faces.Count);
        for (var f = 0; f < analysis.Faces.Count; f++)
        {
            var face = analysis.Faces[f];
            var faceIds = await store.NearestFacesAsync(collection, pipeline.ModelId, face.Code, judged[f].Select(c => c.Match.Subject).ToList(), ct);
            faces.Add(new IdentifiedFace(face.Box, face.Score, face.Quality,
                assigned[f] >= 0 ? judged[f][assigned[f]].Match.Subject : null,
                judged[f].Select((c, i) => new IdentifyCandidate(c.Match.Subject, c.Match.Faces, faceIds[c.Match.Subject], c.Match.Distance,
                    c.FalseAcceptRate, c.FalsePositiveIdentificationRate, i == assigned[f])).ToList()));
        }
        return new IdentifyResult(analysis.ImageWidth, analysis.ImageHeight, decision.Threshold, decision.MaxFalsePositiveIdentificationRate,
            gallery, faces, analysis.FacesDetected);
    }

    /// <summary>
    /// Clusters stored faces of a collection (all, or the given ids); faces of one image never share a cluster. Faces
    /// stored as low quality are left out and listed, unless the parameters include them.
    /// </summary>
    public async Task<ClusterResult> ClusterStoredAsync(CollectionName collection, IReadOnlyCollection<Guid>? faceIds, ClusterParameters parameters,
        CancellationToken ct = default)
    {
        CheckClusterParameters(parameters);
        if (faceIds is { Count: 0 }) throw Invalid("faceIds, when given, must name at least one face.", "faceIds");
        if (faceIds?.Count > MaxClusterFaces(parameters)) throw TooManyFaces(faceIds.Count, parameters);

        var codes = await store.GetCodesAsync(collection, pipeline.ModelId, faceIds, ct);
        if (faceIds is not null)
        {
            var missing = faceIds.Except(codes.Select(c => c.FaceId)).Take(10).ToList();
            if (missing.Count > 0)
                throw new FaceServiceException(FaceServiceError.FaceNotFound,
                    $"No face {string.Join(", ", missing)} in collection '{collection}' for the current model.", "faceIds");
        }
        else if (codes.Count == 0)
        {
            throw new FaceServiceException(FaceServiceError.CollectionNotFound, $"Collection '{collection}' has no faces of the current model.", "collection");
        }
        var clustered = codes.Where(c => parameters.IncludeLowQuality || !c.LowQuality).ToList();
        var grouping = ClusterCodes([.. clustered.Select(c => c.Code)], [.. clustered.Select(c => (string?)c.ImageSha256)], parameters, ct);
        return ToResult(grouping, i => StoredMember(clustered[i]), [.. codes.Except(clustered).Select(StoredMember)]);
    }

    private static ClusterMember StoredMember(StoredCode code) => new(code.FaceId, code.Subject, null, null, null, null, LowQuality: code.LowQuality);

    /// <summary>
    /// Clusters every face found in the uploaded images (unlabelled photos); faces of one image never share a cluster.
    /// Faces below the configured quality threshold are left out and listed, unless the parameters include them.
    /// </summary>
    public async Task<ClusterResult> ClusterImagesAsync(IReadOnlyList<ImageInput> images, ClusterParameters parameters, CancellationToken ct = default)
    {
        CheckClusterParameters(parameters);
        if (images.Count == 0) throw Invalid("At least one image is required.", "image");

        var analyses = await AnalyzeAllAsync(images, FaceSelection.All, "cluster", ct);
        var found = images.SelectMany((image, i) => analyses[i].Faces.Select(face => (Image: image, Face: face))).ToList();
        var members = found.Where(m => parameters.IncludeLowQuality || m.Face.Quality.Score >= _quality.MinQuality).ToList();
        var grouping = ClusterCodes([.. members.Select(m => m.Face.Code)], [.. members.Select(m => (string?)m.Image.Field)], parameters, ct);
        return ToResult(grouping, i => UploadedMember(members[i].Image, members[i].Face), [.. found.Except(members).Select(m => UploadedMember(m.Image, m.Face))]);
    }

    private ClusterMember UploadedMember(ImageInput image, EmbeddedFace face) =>
        new(null, null, image.Field, image.FileName, face.Box, face.Score, face.Quality.Score, face.Quality.Score < _quality.MinQuality);

    /// <summary>
    /// Groups face codes into people (<see cref="PeopleClusterer"/>), or, when the parameters give a linkage or a
    /// threshold, by agglomerative clustering cut at that distance, within the face limit of each: the one clustering
    /// path behind the API's uploads and stored faces and the command line's photo folders.
    /// </summary>
    /// <param name="photos">Per code, the photo it was found in (or null): faces of one photo never share a cluster.</param>
    public CodeClustering ClusterCodes(IReadOnlyList<sbyte[]> codes, IReadOnlyList<string?>? photos, ClusterParameters parameters, CancellationToken ct = default)
    {
        var (threshold, linkage) = CheckClusterParameters(parameters);
        if (codes.Count > MaxClusterFaces(parameters)) throw TooManyFaces(codes.Count, parameters);
        return threshold is { } limit && linkage is { } link
            ? new CodeClustering(agglomerativeClusterer.Cluster(codes, limit, link, photos, ct), ClusteringMethod.Agglomerative, limit, link)
            : new CodeClustering(peopleClusterer.Cluster(codes, photos, ct), ClusteringMethod.People, null, null);
    }

    private static ClusterResult ToResult(CodeClustering clustering, Func<int, ClusterMember> member, IReadOnlyList<ClusterMember> leftOut) =>
        new(clustering.Method, clustering.Threshold, clustering.Linkage,
            clustering.Grouping.Clusters.Select((indices, id) => new FaceCluster(id, indices.Select(member).ToList())).ToList(),
            clustering.Grouping.Singletons.Select(member).ToList(), leftOut);

    /// <summary>Each image through the pipeline, a few at a time; decode failures as the service's errors.</summary>
    internal async Task<ImageAnalysis<EmbeddedFace>[]> AnalyzeAllAsync(IReadOnlyList<ImageInput> images, FaceSelection selection, string operation, CancellationToken ct)
    {
        var results = new ImageAnalysis<EmbeddedFace>[images.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, images.Count),
            new ParallelOptions { MaxDegreeOfParallelism = _options.ImageConcurrency, CancellationToken = ct },
            async (i, token) => results[i] = await AnalyzeAsync(images[i], selection, operation, token));
        return results;
    }

    private Task<ImageAnalysis<EmbeddedFace>> AnalyzeAsync(ImageInput image, FaceSelection selection, string operation, CancellationToken ct) =>
        RunPipelineAsync(image, operation, () => pipeline.AnalyzeAsync(image.Content, selection, ct), embedded: true);

    /// <summary>One pipeline call on an upload, its decode failures as the service's errors, counted in the metrics.</summary>
    private async Task<ImageAnalysis<TFace>> RunPipelineAsync<TFace>(ImageInput image, string operation, Func<Task<ImageAnalysis<TFace>>> run, bool embedded)
        where TFace : FoundFace
    {
        if (image.Content.IsEmpty)
            throw new FaceServiceException(FaceServiceError.InvalidImage, $"{Describe(image)} is empty.", image.Field);
        ImageAnalysis<TFace> analysis;
        try
        {
            analysis = await run();
        }
        catch (ImageDecodeException e)
        {
            var error = e.Error switch
            {
                ImageDecodeError.UnsupportedFormat => FaceServiceError.UnsupportedImageFormat,
                ImageDecodeError.ImageTooLarge => FaceServiceError.ImageTooLarge,
                _ => FaceServiceError.InvalidImage,
            };
            throw new FaceServiceException(error, $"{Describe(image)}: {e.Message}", image.Field, e);
        }
        metrics.ImageAnalyzed(operation, embedded ? analysis.Faces.Count : 0);
        return analysis;
    }

    private static EmbeddedFace RequireFace(ImageInput image, ImageAnalysis<EmbeddedFace> analysis) =>
        analysis.Faces.FirstOrDefault() ?? throw new FaceServiceException(FaceServiceError.NoFace, $"{Describe(image)} shows no face.", image.Field);

    /// <summary>People clustering (both null), or agglomerative clustering with the given or configured threshold and linkage.</summary>
    private (float? Threshold, Linkage? Linkage) CheckClusterParameters(ClusterParameters parameters)
    {
        if (parameters.Threshold is null && parameters.Linkage is null) return (null, null);
        var limit = parameters.Threshold is { } t ? MatchDecisions.RequireThreshold(t) : _options.ClusterThreshold;
        var link = parameters.Linkage ?? _options.ClusterLinkage;
        if (!Enum.IsDefined(link)) throw Invalid("linkage must be average, complete or single.", "linkage");
        return (limit, link);
    }

    private int MaxClusterFaces(ClusterParameters parameters) =>
        parameters.Threshold is null && parameters.Linkage is null ? _clustering.MaxFaces : _clustering.MaxAgglomerativeFaces;

    private FaceServiceException TooManyFaces(int count, ClusterParameters parameters) =>
        new(FaceServiceError.TooManyFaces, parameters.Threshold is null && parameters.Linkage is null
            ? $"{count} faces to cluster; at most {_clustering.MaxFaces} at once (Clustering:MaxFaces)."
            : $"{count} faces to cluster with a linkage; at most {_clustering.MaxAgglomerativeFaces} at once (Clustering:MaxAgglomerativeFaces; memory grows as n²).");

    private static FaceServiceException Invalid(string message, string field) => new(FaceServiceError.ValidationFailed, message, field);

    private static string Describe(ImageInput image) =>
        image.FileName is { Length: > 0 } name ? $"{image.Field} ('{name}')" : image.Field;
}

/// <summary>A clustering of codes, the method that made it, and the threshold and linkage of an agglomerative one.</summary>
public sealed record CodeClustering(ClusteringResult Grouping, ClusteringMethod Method, float? Threshold, Linkage? Linkage);
