namespace FaceService.Core.Storage;

/// <summary>
/// The store's hard limits: what any configuration may allow at most (the configured limits in
/// <see cref="Services.RecognitionOptions"/> are validated against them) and what the store itself accepts.
/// </summary>
public static class StoreLimits
{
    /// <summary>Subjects one search may return.</summary>
    public const int MaxK = 1000;

    /// <summary>Subjects on one page of a listing.</summary>
    public const int MaxPageSize = 1000;

    /// <summary>pgvector's range for hnsw.ef_search: 1 to this.</summary>
    public const int MaxEfSearch = 1000;

    public const int MaxModelIdLength = 128;
}
