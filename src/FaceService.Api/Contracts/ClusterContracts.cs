using System.Text.Json.Serialization;
using FaceService.Api.Security;
using FaceService.Core.Clustering;
using FaceService.Core.Naming;
using FaceService.Core.Services;

namespace FaceService.Api.Contracts;

/// <summary>Cluster stored faces of a collection.</summary>
public sealed class ClusterRequest : ICollectionScoped
{
    /// <summary>Collection whose faces are clustered (default "default").</summary>
    /// <example>default</example>
    public CollectionName Collection { get; init; }

    /// <summary>Only these stored faces (all of the collection when omitted).</summary>
    public List<Guid>? FaceIds { get; init; }

    /// <summary>Agglomerative clustering instead of people: the squared L2 linkage distance at which merging stops,
    /// greater than 0 and at most 4 (with a linkage alone: the configured one). Leave out for people clustering.</summary>
    /// <example>0.12</example>
    public float? Threshold { get; init; }

    /// <summary>Agglomerative clustering instead of people: average, complete or single (with a threshold alone: the
    /// configured one). Leave out for people clustering.</summary>
    /// <example>average</example>
    public Linkage? Linkage { get; init; }

    /// <summary>Cluster faces stored as low quality too; by default they are left out and listed in leftOut.</summary>
    /// <example>false</example>
    public bool IncludeLowQuality { get; init; }
}

public sealed class ClusterResponse
{
    /// <summary>people (the default: tight groups, then groups that stand out from their other neighbours), or
    /// agglomerative (the request gave a threshold or a linkage).</summary>
    /// <example>people</example>
    public required ClusteringMethod Method { get; init; }

    /// <summary>The agglomerative cut (absent for people clustering).</summary>
    /// <example>0.12</example>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public float? Threshold { get; init; }

    /// <summary>The agglomerative linkage (absent for people clustering).</summary>
    /// <example>average</example>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Linkage? Linkage { get; init; }

    /// <summary>Groups of two faces or more, largest first.</summary>
    public required IReadOnlyList<ClusterDto> Clusters { get; init; }

    /// <summary>Faces that joined no group.</summary>
    public required IReadOnlyList<ClusterFaceDto> Singletons { get; init; }

    /// <summary>Faces below the configured quality threshold, not clustered (blurred, tiny or turned-away faces chain
    /// people together); empty when the request includes them.</summary>
    public required IReadOnlyList<ClusterFaceDto> LeftOut { get; init; }

    public static ClusterResponse From(ClusterResult r) => new()
    {
        Method = r.Method,
        Threshold = r.Threshold,
        Linkage = r.Linkage,
        Clusters = r.Clusters.Select(c => new ClusterDto { ClusterId = c.ClusterId, Faces = c.Faces.Select(ClusterFaceDto.From).ToList() }).ToList(),
        Singletons = r.Singletons.Select(ClusterFaceDto.From).ToList(),
        LeftOut = r.LeftOut.Select(ClusterFaceDto.From).ToList(),
    };
}

public sealed class ClusterDto
{
    /// <summary>0-based, in the order of the list (largest cluster first).</summary>
    /// <example>0</example>
    public required int ClusterId { get; init; }

    public required IReadOnlyList<ClusterFaceDto> Faces { get; init; }
}

/// <summary>A stored face (faceId, subject) or, for uploads, a face found in an image (image, fileName, box, score).</summary>
public sealed class ClusterFaceDto
{
    /// <example>3f2b8c1e-9a4d-4e57-8b0a-6c1d2e3f4a5b</example>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Guid? FaceId { get; init; }

    /// <example>alice</example>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Subject { get; init; }

    /// <summary>The form field of the upload: image[0], image[1], ...</summary>
    /// <example>image[3]</example>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Image { get; init; }

    /// <example>party.jpg</example>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? FileName { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Box? Box { get; init; }

    /// <example>0.991</example>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public float? Score { get; init; }

    /// <summary>An uploaded face's quality score (0..1).</summary>
    /// <example>0.93</example>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public float? Quality { get; init; }

    /// <summary>Below the configured quality threshold.</summary>
    /// <example>false</example>
    public bool LowQuality { get; init; }

    public static ClusterFaceDto From(ClusterMember m) => new()
    {
        FaceId = m.FaceId,
        Subject = m.Subject,
        Image = m.Field,
        FileName = m.FileName,
        Box = m.Box is { } box ? Box.From(box) : null,
        Score = m.Score,
        Quality = m.Quality,
        LowQuality = m.LowQuality,
    };
}
