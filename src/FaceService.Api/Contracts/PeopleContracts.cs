using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using FaceService.Api.Security;
using FaceService.Core.Faces;
using FaceService.Core.Naming;
using FaceService.Core.Services;
using FaceService.Core.Storage;
using Microsoft.AspNetCore.Mvc;

namespace FaceService.Api.Contracts;

/// <summary>A face's quality and its parts: the lowest part score is the quality; a part below minQuality is a reason to refuse the face.</summary>
public sealed class QualityDto
{
    /// <summary>Overall quality, 0..1: the lowest of the part scores.</summary>
    /// <example>0.93</example>
    public required float Score { get; init; }

    /// <summary>Face size in original-image pixels (twice the larger of the eye distance and the eyes-to-mouth distance).</summary>
    /// <example>112</example>
    public required float FaceSize { get; init; }

    /// <summary>Fine detail on the aligned face, dimensionless (a blurred face has little).</summary>
    /// <example>0.21</example>
    public required float Sharpness { get; init; }

    /// <summary>Head turn left/right in degrees, from the landmarks (0: facing the camera).</summary>
    /// <example>-4.5</example>
    public required float Yaw { get; init; }

    /// <summary>Head tilt up/down in degrees (positive: chin raised).</summary>
    /// <example>2.1</example>
    public required float Pitch { get; init; }

    /// <summary>In-plane rotation in degrees (alignment undoes it; it does not lower the quality).</summary>
    /// <example>1.3</example>
    public required float Roll { get; init; }

    /// <summary>The detector's confidence, 0..1.</summary>
    /// <example>0.998</example>
    public required float DetectorScore { get; init; }

    /// <summary>Each part on 0..1 (1: good): faceSize, sharpness, pose, detectorScore.</summary>
    public required IReadOnlyDictionary<string, float> Parts { get; init; }

    public static QualityDto From(FaceQuality q) => new()
    {
        Score = q.Score, FaceSize = q.FaceSize, Sharpness = q.Sharpness, Yaw = q.Yaw, Pitch = q.Pitch, Roll = q.Roll, DetectorScore = q.DetectorScore,
        Parts = new Dictionary<string, float>
        {
            ["faceSize"] = q.Parts.FaceSize, ["sharpness"] = q.Parts.Sharpness, ["pose"] = q.Parts.Pose, ["detectorScore"] = q.Parts.DetectorScore,
        },
    };
}

/// <summary>A face found but not stored, and why.</summary>
public sealed class RefusedFaceDto
{
    public required Box Box { get; init; }

    /// <example>0.91</example>
    public required float Score { get; init; }

    public required QualityDto Quality { get; init; }

    /// <summary>The parts below minQuality: small_face, blurred, extreme_pose, low_confidence.</summary>
    /// <example>["blurred"]</example>
    public required IReadOnlyList<string> Reasons { get; init; }

    public static RefusedFaceDto From(RefusedFace f) => new()
    {
        Box = Box.From(f.Box), Score = f.Score, Quality = QualityDto.From(f.Quality), Reasons = f.Reasons.Select(r => r.Code()).ToList(),
    };
}

/// <summary>A stored face as the people endpoints show it: its subject (null while unnamed) or its cluster, and the photo it is from.</summary>
public sealed class PersonFaceDto
{
    /// <example>3f2b8c1e-9a4d-4e57-8b0a-6c1d2e3f4a5b</example>
    public required Guid FaceId { get; init; }

    /// <summary>The subject the face is named as; null while it is unnamed.</summary>
    /// <example>null</example>
    public required string? Subject { get; init; }

    /// <summary>The cluster of an unnamed face; null once named, and for a low-quality face (no cluster takes those).</summary>
    /// <example>17</example>
    public required long? ClusterId { get; init; }

    public required Box Box { get; init; }

    /// <example>0.998</example>
    public required float Score { get; init; }

    /// <summary>Quality score when stored (null for faces stored before scores were kept).</summary>
    /// <example>0.93</example>
    public required float? Quality { get; init; }

    /// <summary>Stored below the service's quality threshold (a lower minQuality let it in): left out of clusters and templates.</summary>
    /// <example>false</example>
    public required bool LowQuality { get; init; }

    /// <summary>The photo's name as uploaded (its file name), when it had one.</summary>
    /// <example>beach-2024/IMG_0042.jpg</example>
    public required string? Source { get; init; }

    /// <example>9b74c9897bac770ffc029102a200c5de6a1f0a8c0b1e0b5d1c0b7f5e0d9c8b7a</example>
    public required string ImageSha256 { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public static PersonFaceDto From(StoredFace f) => new()
    {
        FaceId = f.FaceId, Subject = f.Subject, ClusterId = f.ClusterId, Box = Box.From(f.Box), Score = f.Score, Quality = f.Quality,
        LowQuality = f.LowQuality, Source = f.Source, ImageSha256 = f.ImageSha256, CreatedAt = f.CreatedAt,
    };
}

public sealed class IndexForm : ICollectionScoped
{
    /// <summary>One or more photos; every face of each is stored (unnamed) if it reaches minQuality.</summary>
    [Required, FromForm(Name = "image")] public List<IFormFile>? Image { get; set; }

    /// <summary>Collection (default "default").</summary>
    /// <example>swagger-try-out</example>
    [FromForm(Name = "collection")] public CollectionName Collection { get; set; }

    /// <summary>Faces of lower quality (0..1) are refused and listed with their reasons; default: configured (Quality:MinQuality, 0.5).
    /// Below the configured value, faces are stored but marked lowQuality: clusters and templates leave them out.</summary>
    /// <example>0.5</example>
    [FromForm(Name = "minQuality")] public float? MinQuality { get; set; }
}

public sealed class IndexedImageDto
{
    /// <summary>The form field of the upload.</summary>
    /// <example>image</example>
    public required string Image { get; init; }

    /// <example>IMG_0042.jpg</example>
    public string? FileName { get; init; }

    /// <example>9b74c9897bac770ffc029102a200c5de6a1f0a8c0b1e0b5d1c0b7f5e0d9c8b7a</example>
    public required string ImageSha256 { get; init; }

    /// <summary>The photo was indexed before: nothing was stored now, and faces are those stored then.</summary>
    /// <example>false</example>
    public required bool AlreadyIndexed { get; init; }

    /// <summary>Faces the detector found in the photo.</summary>
    /// <example>3</example>
    public required int FacesDetected { get; init; }

    /// <summary>The photo's stored faces, each with its cluster.</summary>
    public required IReadOnlyList<PersonFaceDto> Faces { get; init; }

    /// <summary>Faces below minQuality, not stored, with the reasons (like AWS's UnindexedFaces).</summary>
    public required IReadOnlyList<RefusedFaceDto> Refused { get; init; }
}

public sealed class IndexResponse
{
    /// <example>default</example>
    public required string Collection { get; init; }

    /// <summary>The quality threshold the faces were held to.</summary>
    /// <example>0.5</example>
    public required float MinQuality { get; init; }

    /// <summary>One entry per upload, in upload order.</summary>
    public required IReadOnlyList<IndexedImageDto> Images { get; init; }

    public static IndexResponse From(IndexResult r) => new()
    {
        Collection = r.Collection,
        MinQuality = r.MinQuality,
        Images = r.Images.Select(i => new IndexedImageDto
        {
            Image = i.Field, FileName = i.FileName, ImageSha256 = i.ImageSha256, AlreadyIndexed = i.AlreadyIndexed, FacesDetected = i.FacesDetected,
            Faces = i.Faces.Select(PersonFaceDto.From).ToList(), Refused = i.Refused.Select(RefusedFaceDto.From).ToList(),
        }).ToList(),
    };
}

public sealed class PersonClusterDto
{
    /// <example>17</example>
    public required long ClusterId { get; init; }

    /// <example>12</example>
    public required int Faces { get; init; }

    /// <summary>Grows with every change of the cluster's faces: give it when naming, so that a cluster changed meanwhile is refused.</summary>
    /// <example>5</example>
    public required int Version { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Some of its faces, best quality first (all of them when one cluster is asked for).</summary>
    public required IReadOnlyList<PersonFaceDto> Sample { get; init; }

    public static PersonClusterDto From(ClusterSummary c) => new()
    {
        ClusterId = c.ClusterId, Faces = c.Faces, Version = c.Version, UpdatedAt = c.UpdatedAt, Sample = c.Sample.Select(PersonFaceDto.From).ToList(),
    };
}

public sealed class PersonClusterPage
{
    /// <summary>Clusters, largest first.</summary>
    public required IReadOnlyList<PersonClusterDto> Items { get; init; }

    /// <example>1</example>
    public required int Page { get; init; }

    /// <example>50</example>
    public required int PageSize { get; init; }

    /// <summary>Clusters of at least minFaces faces.</summary>
    /// <example>31</example>
    public required long Total { get; init; }

    /// <summary>The collection's unnamed faces.</summary>
    /// <example>412</example>
    public required long UnnamedFaces { get; init; }

    /// <summary>Unnamed faces stored as low quality: no cluster takes them.</summary>
    /// <example>3</example>
    public required long LowQualityFaces { get; init; }

    public static PersonClusterPage From(ClusterListing l) => new()
    {
        Items = l.Clusters.Items.Select(PersonClusterDto.From).ToList(), Page = l.Clusters.Page, PageSize = l.Clusters.PageSize, Total = l.Clusters.Total,
        UnnamedFaces = l.UnnamedFaces, LowQualityFaces = l.LowQualityFaces,
    };
}

public sealed class NameClusterRequest
{
    /// <summary>The person's subject id: a new subject, or an existing one the faces join.</summary>
    /// <example>kit</example>
    [Required] public SubjectId? Subject { get; init; }

    /// <summary>The cluster's version as last seen; when given, a cluster that changed since is refused (409 cluster_changed).</summary>
    /// <example>5</example>
    public int? Version { get; init; }
}

public sealed class RenameSubjectRequest
{
    /// <summary>The new subject id; no subject of the collection may have it (merge into an existing one instead).</summary>
    /// <example>kit-harrington</example>
    [Required] public SubjectId? Name { get; init; }
}

public sealed class MergeSubjectsRequest
{
    /// <summary>The subject that takes the faces; the subject of the path is gone after the merge.</summary>
    /// <example>kit</example>
    [Required] public SubjectId? Into { get; init; }
}

public sealed class MoveFaceRequest
{
    /// <summary>The subject the face belongs to; null moves it back to the unnamed faces, where it joins a cluster.</summary>
    /// <example>kit</example>
    public SubjectId? Subject { get; init; }
}

public sealed class NamedFacesResponse
{
    /// <example>kit</example>
    public required string Subject { get; init; }

    /// <example>default</example>
    public required string Collection { get; init; }

    /// <summary>Faces that changed name.</summary>
    /// <example>12</example>
    public required int Faces { get; init; }

    /// <summary>The faces, where the change names them one by one (naming a cluster).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<PersonFaceDto>? Named { get; init; }
}

public sealed class DeleteClusterResponse
{
    /// <example>17</example>
    public required long ClusterId { get; init; }

    /// <example>default</example>
    public required string Collection { get; init; }

    /// <example>12</example>
    public required int DeletedFaces { get; init; }
}

public sealed class ReclusterJobDto
{
    /// <example>0192f3c4-5b6a-7d8e-9f01-23456789abcd</example>
    public required Guid JobId { get; init; }

    /// <example>default</example>
    public required string Collection { get; init; }

    /// <summary>queued, running, succeeded, failed or cancelled.</summary>
    /// <example>running</example>
    public required JobState State { get; init; }

    /// <summary>What it is doing: queued, starting, loading, clustering, saving, or its final state.</summary>
    /// <example>clustering</example>
    public required string Stage { get; init; }

    /// <example>0.2</example>
    public required float Progress { get; init; }

    /// <summary>Runs started: more than one when the process running it stopped and another took it up again.</summary>
    /// <example>1</example>
    public required int Attempts { get; init; }

    /// <example>false</example>
    public required bool CancelRequested { get; init; }

    /// <summary>Unnamed faces clustered.</summary>
    public int? Faces { get; init; }

    /// <summary>Unnamed faces left out as low quality.</summary>
    public int? FacesLeftOut { get; init; }

    /// <summary>Clusters of two faces or more afterwards.</summary>
    public int? Clusters { get; init; }

    /// <summary>Faces whose cluster changed.</summary>
    public int? FacesMoved { get; init; }

    public string? Error { get; init; }

    /// <summary>The name of the key that asked for it, or "auto": queued by index once the collection had grown by
    /// People:AutoReclusterGrowth since its last recluster.</summary>
    /// <example>auto</example>
    public required string RequestedBy { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }

    public static ReclusterJobDto From(ReclusterJob j) => new()
    {
        JobId = j.JobId, Collection = j.Collection, State = j.State, Stage = j.Stage, Progress = j.Progress, Attempts = j.Attempts,
        CancelRequested = j.CancelRequested, Faces = j.Faces, FacesLeftOut = j.FacesLeftOut, Clusters = j.Clusters, FacesMoved = j.FacesMoved,
        Error = j.Error, RequestedBy = j.RequestedBy, CreatedAt = j.CreatedAt, StartedAt = j.StartedAt, FinishedAt = j.FinishedAt,
    };
}

public sealed class ReclusterJobsResponse
{
    /// <summary>The collection's latest jobs, newest first.</summary>
    public required IReadOnlyList<ReclusterJobDto> Jobs { get; init; }
}
