using FaceService.Core.Faces;
using FaceService.Core.Naming;
using FaceService.Core.Security;

namespace FaceService.Core.Storage;

/// <summary>An unnamed face to index: its code, the unit vector the code stands for, and its quality.</summary>
public sealed record FaceToIndex(FaceBox Box, float Score, sbyte[] Code, float[] Unit, float Quality, bool LowQuality);

/// <summary>One photo's faces to index (those that passed the request's minQuality), and how many it refused.</summary>
/// <param name="Source">The name the client gave the photo, if any.</param>
public sealed record PhotoToIndex(string ImageSha256, string? Source, IReadOnlyList<FaceToIndex> Faces, int FacesRefused);

/// <summary>What indexing a photo stored: its new faces, or, for a photo indexed before, the faces stored then.</summary>
public sealed record IndexedPhoto(bool AlreadyIndexed, IReadOnlyList<StoredFace> Faces);

/// <summary>A cluster of unnamed faces: its size, the version a change must name, and some of its faces.</summary>
public sealed record ClusterSummary(long ClusterId, int Faces, int Version, DateTimeOffset UpdatedAt, IReadOnlyList<StoredFace> Sample);

/// <summary>A page of clusters, largest first, and the collection's unnamed faces: all, and those left out as low quality.</summary>
public sealed record ClusterListing(Paged<ClusterSummary> Clusters, long UnnamedFaces, long LowQualityFaces);

/// <summary>An unnamed face's code and its cluster, as a recluster reads them.</summary>
public sealed record UnnamedCode(Guid FaceId, sbyte[] Code, string ImageSha256, long? ClusterId);

/// <summary>What a recluster changed: clusters after it, and faces that moved to another cluster.</summary>
public sealed record ReclusterOutcome(int Clusters, int FacesMoved);

/// <summary>
/// People in a collection: unnamed faces stored by index and grouped into clusters as they arrive
/// (<see cref="Clustering.ClusterJoining"/>), clusters named into subjects, subjects renamed and merged, faces moved.
/// Each change is one transaction with its audit record; changes to one collection's clusters queue behind each other.
/// A subject's template follows every change of its faces (the store's triggers).
/// </summary>
public interface IPeopleStore
{
    /// <summary>
    /// Stores a photo's faces without a subject, each in the cluster it joins or a new one, and records the photo as
    /// indexed. A photo indexed before (same hash, collection and model) is left as it is. A face of the photo already
    /// stored by enroll (the same box) is not stored twice.
    /// </summary>
    Task<IndexedPhoto> IndexPhotoAsync(CollectionName collection, string modelId, PhotoToIndex photo, AuditActor? actor = null, CancellationToken ct = default);

    /// <summary>Hashes of the photos indexed into the collection for the model (the command line resumes with them).</summary>
    Task<IReadOnlySet<string>> GetIndexedPhotosAsync(CollectionName collection, string modelId, CancellationToken ct = default);

    /// <summary>Clusters of at least <paramref name="minFaces"/> faces, largest first, each with up to <paramref name="sample"/> faces.</summary>
    Task<ClusterListing> ListClustersAsync(CollectionName collection, string modelId, int page, int pageSize, int minFaces, int sample,
        CancellationToken ct = default);

    /// <summary>One cluster with every face; null if the collection has no such cluster.</summary>
    Task<ClusterSummary?> GetClusterAsync(CollectionName collection, long clusterId, CancellationToken ct = default);

    /// <summary>
    /// Names a cluster: its faces become the subject's (a new subject, or joining an existing one) and the cluster goes.
    /// Refused with <see cref="Services.FaceServiceError.ClusterChanged"/> when <paramref name="expectedVersion"/> is given and the
    /// cluster is no longer at it.
    /// </summary>
    /// <returns>The faces named.</returns>
    Task<IReadOnlyList<StoredFace>> NameClusterAsync(CollectionName collection, long clusterId, SubjectId subject, int? expectedVersion,
        AuditActor? actor = null, CancellationToken ct = default);

    /// <summary>Gives every face of a subject a new name that no subject of the collection has yet.</summary>
    /// <returns>The faces renamed.</returns>
    Task<int> RenameSubjectAsync(CollectionName collection, SubjectId subject, SubjectId newName, AuditActor? actor = null, CancellationToken ct = default);

    /// <summary>Moves every face of <paramref name="subject"/> to <paramref name="into"/>; the first subject is gone after it.</summary>
    /// <returns>The faces moved.</returns>
    Task<int> MergeSubjectsAsync(CollectionName collection, SubjectId subject, SubjectId into, AuditActor? actor = null, CancellationToken ct = default);

    /// <summary>Moves a face of the collection to a subject, or back to the unnamed faces (null), where it joins a cluster.</summary>
    Task<StoredFace> MoveFaceAsync(CollectionName collection, Guid faceId, SubjectId? subject, AuditActor? actor = null, CancellationToken ct = default);

    /// <summary>Erases every face of a cluster. Returns the faces removed; 0 if the collection has no such cluster.</summary>
    Task<int> DeleteClusterAsync(CollectionName collection, long clusterId, AuditActor? actor = null, CancellationToken ct = default);

    /// <summary>The collection's unnamed faces that clusters take (not low quality), with their current clusters.</summary>
    Task<IReadOnlyList<UnnamedCode>> GetUnnamedCodesAsync(CollectionName collection, string modelId, CancellationToken ct = default);

    /// <summary>
    /// Puts unnamed faces into the groups given (a group number per face), keeping each old cluster's id for the new
    /// group that holds most of its faces. Faces named or erased since they were read are left as they are.
    /// </summary>
    Task<ReclusterOutcome> ApplyClustersAsync(CollectionName collection, string modelId, IReadOnlyList<(Guid FaceId, int Group)> groups,
        CancellationToken ct = default);
}
