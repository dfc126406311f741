using FaceService.Core.Clustering;
using FaceService.Core.Faces;

namespace FaceService.Core.Services;

/// <summary>One uploaded image: the form field it came in (e.g. "image[0]"), the client's file name, and its bytes.</summary>
public sealed record ImageInput(string Field, string? FileName, ReadOnlyMemory<byte> Content);

/// <summary>A face stored by enroll, reported against the upload it came from.</summary>
/// <param name="FacesDetected">Faces found in the upload; the stored one is its primary face.</param>
public sealed record EnrolledFace(Guid FaceId, FaceBox Box, float Score, string ImageSha256, string Field, string? FileName, int FacesDetected);

public sealed record EnrollResult(string Subject, string Collection, IReadOnlyList<EnrolledFace> Faces);

/// <summary>The face that verify compared from one upload: its primary face, one of <paramref name="FacesDetected"/>.</summary>
public sealed record VerifiedFace(string Field, FaceBox Box, float Score, int FacesDetected);

/// <param name="MatchedFaceId">When verifying against a subject: the stored face at the reported (minimum) distance.</param>
public sealed record VerifyResult(bool Verified, float Distance, float Threshold, IReadOnlyList<VerifiedFace> Faces, Guid? MatchedFaceId);

public sealed record IdentifyCandidate(string Subject, Guid FaceId, float Distance, bool Match);

/// <param name="Subject">The subject this face is assigned to, or null when no candidate is a free match.</param>
public sealed record IdentifiedFace(FaceBox Box, float Score, string? Subject, IReadOnlyList<IdentifyCandidate> Candidates);

/// <param name="FacesDetected">Faces found in the photo; without allFaces only the primary one is identified.</param>
public sealed record IdentifyResult(int ImageWidth, int ImageHeight, float Threshold, IReadOnlyList<IdentifiedFace> Faces, int FacesDetected);

/// <summary>
/// A clustered face: a stored face (<see cref="FaceId"/>, <see cref="Subject"/>) or a face found in an upload
/// (<see cref="Field"/>, <see cref="FileName"/>, <see cref="Box"/>, <see cref="Score"/>).
/// </summary>
public sealed record ClusterMember(Guid? FaceId, string? Subject, string? Field, string? FileName, FaceBox? Box, float? Score);

public sealed record FaceCluster(int ClusterId, IReadOnlyList<ClusterMember> Faces);

public sealed record ClusterResult(float Threshold, Linkage Linkage, IReadOnlyList<FaceCluster> Clusters, IReadOnlyList<ClusterMember> Singletons);
