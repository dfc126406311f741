using FaceService.Core.Storage;

namespace FaceService.Api.Contracts;

public sealed class SubjectDto
{
    /// <example>alice</example>
    public required string Subject { get; init; }

    /// <example>default</example>
    public required string Collection { get; init; }

    /// <example>3</example>
    public required int FaceCount { get; init; }

    /// <summary>When the subject's first stored face was enrolled.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the subject's latest stored face was enrolled.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }

    public static SubjectDto From(SubjectSummary s) => new()
    {
        Subject = s.Subject, Collection = s.Collection, FaceCount = s.FaceCount, CreatedAt = s.CreatedAt, UpdatedAt = s.UpdatedAt,
    };
}

public sealed class SubjectPage
{
    public required IReadOnlyList<SubjectDto> Items { get; init; }

    /// <example>1</example>
    public required int Page { get; init; }

    /// <example>50</example>
    public required int PageSize { get; init; }

    /// <summary>Subjects in the collection.</summary>
    /// <example>1</example>
    public required long Total { get; init; }

    public static SubjectPage From(Paged<SubjectSummary> p) => new()
    {
        Items = p.Items.Select(SubjectDto.From).ToList(), Page = p.Page, PageSize = p.PageSize, Total = p.Total,
    };
}

public sealed class SubjectFacesResponse
{
    /// <example>alice</example>
    public required string Subject { get; init; }

    /// <example>default</example>
    public required string Collection { get; init; }

    public required IReadOnlyList<StoredFaceDto> Faces { get; init; }
}

public sealed class StoredFaceDto
{
    /// <example>3f2b8c1e-9a4d-4e57-8b0a-6c1d2e3f4a5b</example>
    public required Guid FaceId { get; init; }

    /// <summary>The face's box in the enrolled image.</summary>
    public required Box Box { get; init; }

    /// <example>0.997</example>
    public required float Score { get; init; }

    /// <example>9b74c9897bac770ffc029102a200c5de6a1f0a8c0b1e0b5d1c0b7f5e0d9c8b7a</example>
    public required string ImageSha256 { get; init; }

    /// <summary>The embedding model the stored code belongs to (codes of other models are never compared).</summary>
    /// <example>dlib-resnet-v1+facechip150@1a2b3c4d5e6f</example>
    public required string ModelId { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public static StoredFaceDto From(StoredFace f) => new()
    {
        FaceId = f.FaceId, Box = Box.From(f.Box), Score = f.Score, ImageSha256 = f.ImageSha256, ModelId = f.ModelId, CreatedAt = f.CreatedAt,
    };
}

public sealed class DeleteSubjectResponse
{
    /// <example>alice</example>
    public required string Subject { get; init; }

    /// <example>default</example>
    public required string Collection { get; init; }

    /// <summary>Stored faces erased.</summary>
    /// <example>3</example>
    public required int DeletedFaces { get; init; }
}

public sealed class CollectionDto
{
    /// <example>default</example>
    public required string Collection { get; init; }

    /// <example>24</example>
    public required int SubjectCount { get; init; }

    /// <example>77</example>
    public required int FaceCount { get; init; }

    public static CollectionDto From(CollectionSummary c) => new() { Collection = c.Collection, SubjectCount = c.SubjectCount, FaceCount = c.FaceCount };
}

public sealed class CollectionsResponse
{
    public required IReadOnlyList<CollectionDto> Collections { get; init; }
}

public sealed class DeleteCollectionResponse
{
    /// <example>default</example>
    public required string Collection { get; init; }

    /// <example>77</example>
    public required int DeletedFaces { get; init; }
}
