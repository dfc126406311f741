using FaceService.Core.Storage;
using FaceService.Core.Clustering;
using FaceService.Core.Faces;

namespace FaceService.Core.Services;

/// <summary>One uploaded image: the form field it came in (e.g. "image[0]"), the client's file name, and its bytes.</summary>
public sealed record ImageInput(string Field, string? FileName, ReadOnlyMemory<byte> Content);

/// <summary>A face stored by enroll, reported against the upload it came from.</summary>
/// <param name="FacesDetected">Faces found in the upload; the stored one is its primary face.</param>
/// <param name="LowQuality">Below the service's quality threshold, let in by a lower minQuality: left out of the subject's template.</param>
public sealed record EnrolledFace(Guid FaceId, FaceBox Box, float Score, string ImageSha256, string Field, string? FileName, int FacesDetected,
    FaceQuality Quality, bool LowQuality);

/// <summary>An upload whose primary face is below the request's minQuality: not enrolled.</summary>
public sealed record RefusedImage(string Field, string? FileName, RefusedFace Face);

/// <param name="MinQuality">The quality threshold the faces were held to.</param>
public sealed record EnrollResult(string Subject, string Collection, float MinQuality, IReadOnlyList<EnrolledFace> Faces, IReadOnlyList<RefusedImage> Refused);

/// <summary>The face that verify compared from one upload: its primary face, one of <paramref name="FacesDetected"/>.</summary>
public sealed record VerifiedFace(string Field, FaceBox Box, float Score, int FacesDetected);

/// <param name="FalseAcceptRate">Estimated share of other people who come at least this close: of different-person
/// pairs at or below <paramref name="Distance"/>, or against a subject, of people with a face that close to one of its
/// <paramref name="ComparedFaces"/> stored faces.</param>
/// <param name="ThresholdFalseAcceptRate">The same for the threshold: the share of other people it accepts.</param>
/// <param name="MatchedFaceId">When verifying against a subject: the stored face at the reported (minimum) distance.</param>
/// <param name="ComparedFaces">When verifying against a subject: its stored faces, each a comparison.</param>
public sealed record VerifyResult(bool Verified, float Distance, double FalseAcceptRate, float Threshold, double ThresholdFalseAcceptRate,
    IReadOnlyList<VerifiedFace> Faces, Guid? MatchedFaceId, int? ComparedFaces);

/// <summary>What an identify request asks besides its image and collection; null: the configured default.</summary>
/// <param name="Threshold">An explicit distance, instead of <paramref name="MaxFalsePositiveIdentificationRate"/>.</param>
/// <param name="EfSearch">The store's search breadth for this request (1..<see cref="Storage.StoreLimits.MaxEfSearch"/>).</param>
public sealed record IdentifyParameters(int? K = null, float? Threshold = null, double? MaxFalsePositiveIdentificationRate = null,
    bool AllFaces = false, int? EfSearch = null);

/// <param name="Faces">Faces enrolled for the subject: its template is their normalised mean.</param>
/// <param name="FaceId">The subject's enrolled face nearest to the probe.</param>
/// <param name="Distance">Squared L2 distance to the subject's template (for one face, to that face).</param>
/// <param name="FalseAcceptRate">Estimated share of other people at least this close to the subject.</param>
/// <param name="FalsePositiveIdentificationRate">Estimated share of strangers whose nearest subject in this gallery
/// stands out from the others at least as much as this candidate does: how often a match this sure happens by chance.</param>
public sealed record IdentifyCandidate(string Subject, int Faces, Guid FaceId, float Distance, double FalseAcceptRate,
    double FalsePositiveIdentificationRate, bool Match);

/// <param name="Subject">The subject this face is assigned to, or null when no candidate is a free match.</param>
public sealed record IdentifiedFace(FaceBox Box, float Score, FaceQuality Quality, string? Subject, IReadOnlyList<IdentifyCandidate> Candidates);

/// <param name="Threshold">The request's distance, when it decided by one.</param>
/// <param name="MaxFalsePositiveIdentificationRate">The share of strangers matches were held to, when no distance was given.</param>
/// <param name="Gallery">Subjects and faces of the model in the collection when it was searched.</param>
/// <param name="FacesDetected">Faces found in the photo; without allFaces only the primary one is identified.</param>
public sealed record IdentifyResult(int ImageWidth, int ImageHeight, float? Threshold, double? MaxFalsePositiveIdentificationRate, GallerySize Gallery,
    IReadOnlyList<IdentifiedFace> Faces, int FacesDetected);

/// <summary>
/// A clustered face: a stored face (<see cref="FaceId"/>, <see cref="Subject"/>) or a face found in an upload
/// (<see cref="Field"/>, <see cref="FileName"/>, <see cref="Box"/>, <see cref="Score"/>).
/// </summary>
/// <param name="Quality">Of an uploaded face: its quality score.</param>
/// <param name="LowQuality">Below the configured quality threshold: left out unless the request includes such faces.</param>
public sealed record ClusterMember(Guid? FaceId, string? Subject, string? Field, string? FileName, FaceBox? Box, float? Score, float? Quality = null,
    bool LowQuality = false);

public sealed record FaceCluster(int ClusterId, IReadOnlyList<ClusterMember> Faces);

/// <summary>How faces are grouped: into people (the default), or by agglomerative clustering cut at a distance.</summary>
public enum ClusteringMethod
{
    People,
    Agglomerative,
}

/// <summary>A clustering request's choices: a threshold or a linkage asks for agglomerative clustering; neither, for people.</summary>
/// <param name="IncludeLowQuality">Cluster faces below the configured quality threshold too (by default they are left out and listed).</param>
public sealed record ClusterParameters(float? Threshold = null, Linkage? Linkage = null, bool IncludeLowQuality = false);

/// <param name="Threshold">The agglomerative cut; null for people clustering.</param>
/// <param name="Linkage">The agglomerative linkage; null for people clustering.</param>
/// <param name="LeftOut">Faces below the configured quality threshold, not clustered (none when the request includes them).</param>
public sealed record ClusterResult(ClusteringMethod Method, float? Threshold, Linkage? Linkage, IReadOnlyList<FaceCluster> Clusters,
    IReadOnlyList<ClusterMember> Singletons, IReadOnlyList<ClusterMember> LeftOut);
