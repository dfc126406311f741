using System.ComponentModel.DataAnnotations;
using Npgsql;

namespace FaceService.Storage;

/// <summary>
/// PostgreSQL + pgvector settings, bound from the "Storage" section; the connection string comes from
/// ConnectionStrings:FaceStore (env ConnectionStrings__FaceStore).
/// </summary>
public sealed class StorageOptions : IValidatableObject
{
    public const string SectionName = "Storage";
    public const string ConnectionStringName = "FaceStore";

    [Required(ErrorMessage = "ConnectionStrings:FaceStore is required.")]
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Default HNSW candidate list size at query time (pgvector hnsw.ef_search); higher = better recall, slower. With
    /// m 16 / ef_construction 64, 300 is the lowest value with recall@10 ≥ 0.98 and recall@1 ≥ 0.99 at 1M synthetic
    /// faces (200 suffices up to ~100k) for ~6 ms of server CPU per search (docs/BENCHMARKS.md, Search at scale).
    /// Identify requests may override it (efSearch).
    /// </summary>
    [Range(1, 1000)]
    public int EfSearch { get; set; } = 300;

    /// <summary>
    /// Galleries (collection and model) of at most this many subjects are searched exactly, without the HNSW index: at
    /// this size a scan of their own templates costs what a walk of the graph they share with larger collections costs
    /// (3.7 against 3.3 ms at 1,000 subjects beside 2M others; 12.7 against 3.8 ms at 5,000: `bench tenants`), and it is
    /// exact however large the shared graph grows (docs/SCALING.md, section 5). 0: always the index.
    /// </summary>
    [Range(0, 1_000_000)]
    public int ExactSearchMaxSubjects { get; set; } = 1_000;

    /// <summary>
    /// Galleries (collection and model) of at least this many subjects are searched through a graph held in this
    /// process (SubjectGraphSync), re-ranked on the table's templates, instead of the database's HNSW index: at a million
    /// templates pgvector's walk costs 11-14 ms of server CPU here for recall@10 0.96, the in-process walk 2-3 ms of the
    /// API's CPU and ~1 ms of the database's for recall@10 0.99 (docs/SCALING.md, section 5). It costs each API process
    /// ~0.45 GB per million subjects and a build of ~5 minutes per million at start-up (searches use the index meanwhile).
    /// 0: never.
    /// </summary>
    [Range(0, int.MaxValue)]
    public int InProcessSearchMinSubjects { get; set; } = 100_000;

    /// <summary>
    /// The in-process graph's default candidate list size (identify's efSearch overrides it as it does EfSearch): the walk
    /// is cheap, so it goes further than pgvector's. At 1M face-like subjects 700 gives recall@1 1.0 / recall@10 0.99
    /// (500: 0.978) for p99 4-8 ms with the database's part (docs/BENCHMARKS.md, Search at scale).
    /// </summary>
    [Range(1, 1000)]
    public int InProcessEfSearch { get; set; } = 700;

    /// <summary>How often the in-process graphs fold in what was written since (searches read the rest from the table).</summary>
    [Range(100, 60_000)]
    public int InProcessSearchRefreshMs { get; set; } = 1_000;

    /// <summary>HNSW graph degree used when the search index is built (pgvector m).</summary>
    [Range(2, 100)]
    public int HnswM { get; set; } = 16;

    /// <summary>HNSW build-time candidate list size (pgvector ef_construction); at least 2 × HnswM.</summary>
    [Range(4, 1000)]
    public int HnswEfConstruction { get; set; } = 64;

    /// <summary>maintenance_work_mem for building the search index; the build is much faster when the graph fits.</summary>
    [Range(64, 65536)]
    public int IndexBuildMemoryMb { get; set; } = 512;

    [Range(1, 3600)]
    public int CommandTimeoutSeconds { get; set; } = 30;

    /// <summary>Time allowed for migrations and the search index build at start-up (a rebuild on a large table is slow).</summary>
    [Range(1, 86400)]
    public int MigrationTimeoutSeconds { get; set; } = 1800;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (HnswEfConstruction < 2 * HnswM)
            yield return new ValidationResult("HnswEfConstruction must be at least 2 × HnswM.", [nameof(HnswEfConstruction)]);
        if (string.IsNullOrWhiteSpace(ConnectionString)) yield break;
        string? problem = null;
        try { _ = new NpgsqlConnectionStringBuilder(ConnectionString); }
        catch (ArgumentException e) { problem = e.Message; }
        if (problem is not null)
            yield return new ValidationResult($"ConnectionStrings:FaceStore is not a valid connection string: {problem}", [nameof(ConnectionString)]);
    }
}
