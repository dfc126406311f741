using FaceService.Core.Naming;
using System.Collections.Concurrent;
using System.Diagnostics;
using FaceService.Core.Embeddings;
using FaceService.Core.Storage;
using Microsoft.Extensions.Options;
using Npgsql;
using static FaceService.Storage.StoreInput;

namespace FaceService.Storage;

/// <summary>
/// The k nearest subjects of a face code in a collection, on PostgreSQL + pgvector.
/// <para>Each subject is one row of subject_templates (its faces' template, kept by triggers: migration 0008). An HNSW
/// cosine index over the templates (unit float vectors, indexed in half precision) yields candidate subjects, filtered by collection and model (with
/// pgvector's iterative index scan where the filter drops rows). A code stands for the unit vector code / ‖code‖, so
/// cosine order is the order of squared distance (2 · cosine distance) and needs no scale. Candidates are then
/// re-ranked exactly against the code's unit vector.</para>
/// <para>A gallery of at most Storage:ExactSearchMaxSubjects subjects is scanned exactly instead; one with an in-process
/// graph (<see cref="SubjectGraphs"/>, from Storage:InProcessSearchMinSubjects subjects) takes its candidates from that
/// graph and reads their templates, with every row the graph has not folded in, in one query.</para>
/// </summary>
public sealed class PgFaceSearch(PgDatabase database, IEmbeddingQuantizer quantizer, IOptions<StorageOptions> options, SubjectGraphs graphs)
{
    // Candidates fetched per search: a few more than wanted, so that the exact re-ranking can repair the index's order
    // near the k-th place.
    private static int Candidates(int k) => k + Math.Min(k, 16);

    // (collection, model) pairs whose index scan came back short without hnsw.iterative_scan: they share the index with
    // other collections or models (or are smaller than the candidate count), so they search iteratively from the start.
    // Per process, bounded; forgetting one costs one extra scan.
    private readonly ConcurrentDictionary<(string Collection, string Model), bool> _filteredScans = new();
    private const int MaxRememberedGalleries = 10_000;

    // Gallery sizes for the exact-or-index choice, per process, re-read after this long (identify reads the size anyway,
    // through GallerySizeAsync, which refreshes this): a gallery that crosses the limit meanwhile is searched the other
    // way for a few more seconds, and both ways answer correctly.
    private readonly ConcurrentDictionary<(string Collection, string Model), (long Subjects, long ReadAt)> _gallerySubjects = new();
    private static readonly TimeSpan GallerySizeMaxAge = TimeSpan.FromSeconds(10);

    /// <param name="efSearch">HNSW candidate list size for this query (1..<see cref="StoreLimits.MaxEfSearch"/>): higher = better
    /// recall, slower; null: the configured Storage:EfSearch, or Storage:InProcessEfSearch for a gallery with an in-process graph.</param>
    /// <remarks>A gallery of at most Storage:ExactSearchMaxSubjects subjects is searched exactly instead.</remarks>
    public async Task<IReadOnlyList<SubjectMatch>> SearchSubjectsAsync(CollectionName collection, string modelId, sbyte[] code, int k, int? efSearch = null,
        CancellationToken ct = default)
    {
        Require(efSearch is null or (>= 1 and <= StoreLimits.MaxEfSearch), $"efSearch is between 1 and {StoreLimits.MaxEfSearch}.", "efSearch");
        RequireModelId(modelId);
        var exact = options.Value.ExactSearchMaxSubjects > 0 && await GallerySubjectsAsync(collection, modelId, ct) <= options.Value.ExactSearchMaxSubjects;
        return exact
            ? await SearchAsync(collection, modelId, code, k, efSearch: null, graphEf: null, ct)
            : await SearchAsync(collection, modelId, code, k, efSearch ?? options.Value.EfSearch, efSearch ?? options.Value.InProcessEfSearch, ct);
    }

    private async Task<long> GallerySubjectsAsync(CollectionName collection, string modelId, CancellationToken ct) =>
        _gallerySubjects.TryGetValue((collection.Value, modelId), out var known) && Stopwatch.GetElapsedTime(known.ReadAt) < GallerySizeMaxAge
            ? known.Subjects
            : (await GallerySizeAsync(collection, modelId, ct)).Subjects;

    /// <summary>One row of gallery_sizes, which triggers on faces and templates keep exact (migrations 0005, 0008); remembered for the search.</summary>
    public async Task<GallerySize> GallerySizeAsync(CollectionName collection, string modelId, CancellationToken ct)
    {
        var rows = await PgCommands.QueryListAsync(database,
            "SELECT subjects, faces FROM gallery_sizes WHERE collection = @collection AND model_id = @model_id",
            command =>
            {
                command.Parameters.AddWithValue("collection", collection.Value);
                command.Parameters.AddWithValue("model_id", modelId);
            },
            reader => new GallerySize(reader.GetInt64(0), reader.GetInt64(1)), ct);
        var size = rows.Count == 0 ? default : rows[0];
        if (_gallerySubjects.Count >= MaxRememberedGalleries) _gallerySubjects.Clear();
        _gallerySubjects[(collection.Value, modelId)] = (size.Subjects, Stopwatch.GetTimestamp());
        return size;
    }

    /// <summary>
    /// The same answer as <see cref="SearchSubjectsAsync"/> without the HNSW index: a scan of every subject of the
    /// collection and model. Exact, and linear in their number; the reference for recall measurements and the floor the
    /// index has to beat.
    /// </summary>
    public Task<IReadOnlyList<SubjectMatch>> ExactSearchSubjectsAsync(CollectionName collection, string modelId, sbyte[] code, int k,
        CancellationToken ct = default) =>
        SearchAsync(collection, modelId, code, k, efSearch: null, graphEf: null, ct);

    /// <param name="efSearch">null: exact scan without the index.</param>
    /// <param name="graphEf">The walk's breadth where the gallery has an in-process graph; null: never the graph.</param>
    private async Task<IReadOnlyList<SubjectMatch>> SearchAsync(CollectionName collection, string modelId, sbyte[] code, int k, int? efSearch,
        int? graphEf, CancellationToken ct)
    {
        RequireModelId(modelId);
        RequireCode(code, "code");
        Require(k is >= 1 and <= StoreLimits.MaxK, $"k is between 1 and {StoreLimits.MaxK}.", "k");

        var limit = Candidates(k);
        if (graphEf is { } breadth && graphs.Ready(collection.Value, modelId) is { } graph
            && await GraphCandidatesAsync(collection, modelId, code, graph, limit, breadth, ct) is { } fromGraph)
            return Nearest(code, fromGraph, k);
        var iterative = _filteredScans.ContainsKey((collection.Value, modelId));
        while (true)
        {
            var candidates = await NearestTemplatesAsync(collection, modelId, code, limit, efSearch, iterative, ct);
            if (efSearch is { } ef && !iterative && candidates.Count < limit)
            {
                // Short: the filter dropped rows of other collections or models, the collection holds fewer subjects
                // than the limit, or ef_search is below it. The first two hold for the next search of this collection too.
                if (limit <= ef)
                {
                    if (_filteredScans.Count >= MaxRememberedGalleries) _filteredScans.Clear();
                    _filteredScans[(collection.Value, modelId)] = true;
                }
                iterative = true;
                continue;
            }
            return Nearest(code, candidates, k);
        }
    }

    /// <param name="iterative">
    /// hnsw.iterative_scan = relaxed_order: the index scan goes on past ef_search until <paramref name="limit"/> rows of
    /// this collection and model are found (pgvector >= 0.8). It costs ~30% more even when the filter drops nothing (at
    /// 1M faces, m 32, ef_search 150: 6.8 against 5.2 ms), so a search that the filter does not cut goes without it.
    /// </param>
    private Task<List<(string Subject, int Faces, float[] Template)>> NearestTemplatesAsync(CollectionName collection, string modelId, sbyte[] code,
        int limit, int? efSearch, bool iterative, CancellationToken ct) =>
        PgCommands.ReadAsync(database, async (connection, token) =>
        {
            // SET LOCAL semantics (set_config(..., true)) need a transaction.
            // Without the HNSW index scan the planner scans the collection's rows and sorts them: exact.
            await using var transaction = await connection.BeginTransactionAsync(token);
            await using var batch = new NpgsqlBatch(connection, transaction);
            var settings = new NpgsqlBatchCommand(efSearch is not null
                ? "SELECT set_config('hnsw.ef_search', @ef_search, true), set_config('hnsw.iterative_scan', @iterative_scan, true)"
                : "SELECT set_config('enable_indexscan', 'off', true)");
            if (efSearch is { } value)
            {
                settings.Parameters.AddWithValue("ef_search", value.ToString(System.Globalization.CultureInfo.InvariantCulture));
                settings.Parameters.AddWithValue("iterative_scan", iterative ? "relaxed_order" : "off");
            }
            // The sub-select converts the query code once (an init plan); written inline, a sort over a small collection
            // would convert it again for every row.
            var query = new NpgsqlBatchCommand("""
                SELECT subject, faces, embedding::real[] FROM subject_templates
                WHERE collection = @collection AND model_id = @model_id
                ORDER BY embedding::halfvec(128) <=> (SELECT face_code_to_halfvec(@code))
                LIMIT @limit
                """);
            query.Parameters.AddWithValue("collection", collection.Value);
            query.Parameters.AddWithValue("model_id", modelId);
            query.Parameters.AddWithValue("code", FaceRows.CodeBytes(code));
            query.Parameters.AddWithValue("limit", limit);
            batch.BatchCommands.Add(settings);
            batch.BatchCommands.Add(query);

            List<(string, int, float[])> candidates;
            await using (var reader = await batch.ExecuteReaderAsync(token))
            {
                await reader.NextResultAsync(token);
                candidates = await ReadTemplatesAsync(reader, token);
            }
            await transaction.CommitAsync(token);
            return candidates;
        }, ct);

    /// <summary>
    /// The in-process graph's candidates (SubjectGraphSync), with their templates as the table holds them now, and
    /// every template its snapshot did not see: a subject enrolled a moment ago is found though the graph does
    /// not hold it yet, and one deleted is not, though the graph still does. Null when more rows wait to be folded into
    /// the graph than a search should read (the database's index answers then).
    /// </summary>
    private async Task<List<(string Subject, int Faces, float[] Template)>?> GraphCandidatesAsync(CollectionName collection, string modelId,
        sbyte[] code, GalleryGraph graph, int limit, int ef, CancellationToken ct)
    {
        // Read before the walk: rows folded into the graph after this moment are read from the table as well.
        var holds = graph.Holds;
        var subjects = graph.Graph.Nearest(code, limit, ef);
        var (templates, unfolded) = await PgCommands.ReadAsync(database, async (connection, token) =>
        {
            // The rows the graph's snapshot did not see: written from its xmax on, or by a transaction running then.
            // ORDER BY written_by LIMIT: the writers' index, whatever the planner believes of their spread.
            await using var command = new NpgsqlCommand("""
                WITH unfolded AS MATERIALIZED (
                    (SELECT subject FROM subject_templates
                     WHERE collection = @collection AND model_id = @model_id AND written_by >= @xmax::xid8
                     ORDER BY written_by LIMIT @cap)
                    UNION ALL
                    (SELECT subject FROM subject_templates
                     WHERE collection = @collection AND model_id = @model_id AND written_by = ANY(@in_progress::xid8[])
                     ORDER BY written_by LIMIT @cap))
                SELECT subject, faces, embedding::real[], (SELECT count(*) FROM unfolded) FROM subject_templates
                WHERE collection = @collection AND model_id = @model_id AND subject = ANY(@subjects || ARRAY(SELECT subject FROM unfolded))
                """, connection);
            command.Parameters.AddWithValue("collection", collection.Value);
            command.Parameters.AddWithValue("model_id", modelId);
            command.Parameters.AddWithValue("subjects", subjects.ToArray());
            command.Parameters.AddWithValue("xmax", holds.XmaxText);
            command.Parameters.AddWithValue("in_progress", holds.InProgressText);
            command.Parameters.AddWithValue("cap", (long)SubjectGraphSync.MaxUnfoldedRows);
            var rows = new List<(string, int, float[])>(subjects.Count);
            long waiting = 0;
            await using var reader = await command.ExecuteReaderAsync(token);
            while (await reader.ReadAsync(token))
            {
                rows.Add((reader.GetString(0), reader.GetInt32(1), reader.GetFieldValue<float[]>(2)));
                waiting = reader.GetInt64(3);
            }
            return (rows, waiting);
        }, ct);
        if (unfolded >= SubjectGraphSync.MaxUnfoldedRows) return null;
        graphs.CountSearch();
        return templates;
    }

    private static async Task<List<(string Subject, int Faces, float[] Template)>> ReadTemplatesAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        var templates = new List<(string, int, float[])>();
        while (await reader.ReadAsync(ct))
            templates.Add((reader.GetString(0), reader.GetInt32(1), reader.GetFieldValue<float[]>(2)));
        return templates;
    }

    /// <summary>Exact distances to the templates (the index order is approximate), nearest first, ties by subject.</summary>
    private List<SubjectMatch> Nearest(sbyte[] query, List<(string Subject, int Faces, float[] Template)> candidates, int k)
    {
        var matches = candidates.Select(c => new SubjectMatch(c.Subject, c.Faces, SubjectTemplate.Distance(quantizer, query, c.Template))).ToList();
        matches.Sort((a, b) => a.Distance != b.Distance ? a.Distance.CompareTo(b.Distance) : string.CompareOrdinal(a.Subject, b.Subject));
        return matches.Count > k ? matches.GetRange(0, k) : matches;
    }

    /// <summary>For each subject, its face nearest to the code: an exact scan of those subjects' faces.</summary>
    public async Task<IReadOnlyDictionary<string, Guid>> NearestFacesAsync(CollectionName collection, string modelId, sbyte[] code,
        IReadOnlyCollection<string> subjects, CancellationToken ct = default)
    {
        RequireModelId(modelId);
        RequireCode(code, "code");
        if (subjects.Count == 0) return new Dictionary<string, Guid>();
        var rows = await PgCommands.QueryListAsync(database, """
            SELECT DISTINCT ON (subject) subject, face_id FROM faces
            WHERE collection = @collection AND model_id = @model_id AND subject = ANY(@subjects)
            ORDER BY subject, embedding <=> (SELECT face_code_to_halfvec(@code)), face_id
            """,
            command =>
            {
                command.Parameters.AddWithValue("collection", collection.Value);
                command.Parameters.AddWithValue("model_id", modelId);
                command.Parameters.AddWithValue("subjects", subjects.ToArray());
                command.Parameters.AddWithValue("code", FaceRows.CodeBytes(code));
            },
            reader => (Subject: reader.GetString(0), FaceId: reader.GetGuid(1)), ct);
        return rows.ToDictionary(r => r.Subject, r => r.FaceId, StringComparer.Ordinal);
    }
}
