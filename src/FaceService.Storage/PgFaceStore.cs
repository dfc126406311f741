using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using FaceService.Core.Embeddings;
using FaceService.Core.Faces;
using FaceService.Core.Security;
using FaceService.Core.Services;
using FaceService.Core.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FaceService.Storage;

/// <summary>
/// <see cref="IFaceStore"/> on PostgreSQL + pgvector.
/// <para>Search: an HNSW cosine index over the signed code bytes as a halfvec yields candidate faces, filtered by
/// collection and model (with pgvector's iterative index scan where the filter drops rows). A code stands for the unit
/// vector code / ‖code‖, so cosine order between codes is the order of the quantizer's squared distance
/// (2 · cosine distance) and needs no scale.
/// Candidates are then re-ranked exactly with the quantizer's distance and grouped to the best face per subject.</para>
/// </summary>
public sealed class PgFaceStore(NpgsqlDataSource dataSource, IEmbeddingQuantizer quantizer, IOptions<StorageOptions> options) : IFaceStore
{
    private const int CodeLength = EmbeddingQuantizer.Dimensions;
    public const int MaxModelIdLength = 128;
    public const int MaxK = 1000;
    public const int MaxPageSize = 1000;

    /// <summary>pgvector's range for hnsw.ef_search.</summary>
    public const int MaxEfSearch = 1000;

    // Candidate faces fetched per search: several per wanted subject, since a subject may have many near faces.
    // When grouping leaves fewer than k subjects the search widens, up to pgvector's default hnsw.max_scan_tuples.
    private const int MaxCandidates = 16384;
    private static int InitialCandidates(int k) => k * 4 + 16;

    // (collection, model) pairs whose index scan came back short without hnsw.iterative_scan: they share the index with
    // other collections or models (or are smaller than the candidate count), so they search iteratively from the start.
    // Per process, bounded; forgetting one costs one extra scan.
    private readonly ConcurrentDictionary<(string Collection, string Model), bool> _filteredScans = new();
    private const int MaxRememberedFilteredScans = 10_000;

    private const string FaceColumns =
        "face_id, subject, collection, box_x, box_y, box_width, box_height, score, image_sha256, model_id, created_at";

    public async Task<IReadOnlyList<StoredFace>> EnrollAsync(string collection, string modelId, IReadOnlyList<NewFace> faces,
        AuditActor? actor = null, CancellationToken ct = default)
    {
        RequireCollection(collection);
        RequireModelId(modelId);
        ArgumentNullException.ThrowIfNull(faces);
        if (faces.Count == 0) return [];

        var n = faces.Count;
        var ids = new Guid[n];
        var subjects = new string[n];
        var codes = new byte[n][];
        var xs = new float[n];
        var ys = new float[n];
        var widths = new float[n];
        var heights = new float[n];
        var scores = new float[n];
        var hashes = new string[n];
        for (var i = 0; i < n; i++)
        {
            var face = faces[i];
            var box = RequireFace(face, $"faces[{i}]");

            ids[i] = Guid.CreateVersion7();
            subjects[i] = face.Subject;
            codes[i] = MemoryMarshal.AsBytes(face.Code.AsSpan()).ToArray();
            (xs[i], ys[i], widths[i], heights[i]) = (box.X, box.Y, box.Width, box.Height);
            scores[i] = face.Score;
            hashes[i] = face.ImageSha256;
        }

        return await RunAsync(async (connection, token) =>
        {
            await using var transaction = await connection.BeginTransactionAsync(token);
            await using var batch = new NpgsqlBatch(connection, transaction);
            // Existing (collection, subject, image, model) rows are kept as they are; the SELECT then returns each input's
            // row, new or old, in input order. As a separate statement it also sees rows a concurrent enrollment committed
            // while this INSERT waited on them.
            var insert = new NpgsqlBatchCommand($"""
                INSERT INTO faces (face_id, collection, subject, model_id, code, embedding, box_x, box_y, box_width, box_height, score, image_sha256)
                SELECT i.face_id, @collection, i.subject, @model_id, i.code, face_code_to_halfvec(i.code), i.box_x, i.box_y, i.box_width, i.box_height, i.score, i.image_sha256
                FROM unnest(@face_ids, @subjects, @codes, @xs, @ys, @widths, @heights, @scores, @hashes)
                     AS i(face_id, subject, code, box_x, box_y, box_width, box_height, score, image_sha256)
                ON CONFLICT ON CONSTRAINT faces_enrollment_key DO NOTHING
                """);
            insert.Parameters.AddWithValue("collection", collection);
            insert.Parameters.AddWithValue("model_id", modelId);
            insert.Parameters.AddWithValue("face_ids", ids);
            insert.Parameters.AddWithValue("subjects", subjects);
            insert.Parameters.AddWithValue("codes", codes);
            insert.Parameters.AddWithValue("xs", xs);
            insert.Parameters.AddWithValue("ys", ys);
            insert.Parameters.AddWithValue("widths", widths);
            insert.Parameters.AddWithValue("heights", heights);
            insert.Parameters.AddWithValue("scores", scores);
            insert.Parameters.AddWithValue("hashes", hashes);
            var select = new NpgsqlBatchCommand($"""
                SELECT {string.Join(", ", FaceColumns.Split(", ").Select(c => "f." + c))}
                FROM unnest(@subjects, @hashes) WITH ORDINALITY AS k(subject, image_sha256, ord)
                JOIN faces f ON f.collection = @collection AND f.model_id = @model_id
                            AND f.subject = k.subject AND f.image_sha256 = k.image_sha256
                ORDER BY k.ord
                """);
            select.Parameters.AddWithValue("collection", collection);
            select.Parameters.AddWithValue("model_id", modelId);
            select.Parameters.AddWithValue("subjects", subjects);
            select.Parameters.AddWithValue("hashes", hashes);
            batch.BatchCommands.Add(insert);
            batch.BatchCommands.Add(select);

            var stored = new List<StoredFace>(n);
            await using (var reader = await batch.ExecuteReaderAsync(token))
            {
                while (await reader.ReadAsync(token)) stored.Add(ReadFace(reader));
            }
            if (stored.Count != n)
                throw new InvalidOperationException($"Enrollment stored {stored.Count} faces for {n} inputs.");
            if (actor is not null)
            {
                // One subject per enrollment is the service's case; a record of several subjects names none.
                var faceIds = stored.Select(f => f.FaceId).Distinct().ToList();
                var subject = stored.Select(f => f.Subject).Distinct().ToList() is [var only] ? only : null;
                await AuditRows.InsertAsync(connection, transaction, actor.Entry(AuditActions.Enroll, collection, subject, faceIds, faceIds.Count), token);
            }
            await transaction.CommitAsync(token);
            return (IReadOnlyList<StoredFace>)stored;
        }, ct);
    }

    public Task<IReadOnlyList<FaceMatch>> SearchSubjectsAsync(string collection, string modelId, sbyte[] code, int k,
        CancellationToken ct = default) =>
        SearchSubjectsAsync(collection, modelId, code, k, options.Value.EfSearch, ct);

    /// <param name="efSearch">HNSW candidate list size for this query (1..1000): higher = better recall, slower.</param>
    public Task<IReadOnlyList<FaceMatch>> SearchSubjectsAsync(string collection, string modelId, sbyte[] code, int k, int efSearch,
        CancellationToken ct = default)
    {
        Require(efSearch is >= 1 and <= MaxEfSearch, $"efSearch is between 1 and {MaxEfSearch}.", "efSearch");
        return SearchAsync(collection, modelId, code, k, efSearch, ct);
    }

    /// <summary>
    /// The same answer as <see cref="SearchSubjectsAsync(string, string, sbyte[], int, CancellationToken)"/> without the
    /// HNSW index: a scan of every face of the collection and model. Exact, and linear in their number; the reference
    /// for recall measurements and the floor the index has to beat.
    /// </summary>
    public Task<IReadOnlyList<FaceMatch>> ExactSearchSubjectsAsync(string collection, string modelId, sbyte[] code, int k,
        CancellationToken ct = default) =>
        SearchAsync(collection, modelId, code, k, efSearch: null, ct);

    /// <summary>
    /// Appends faces with binary COPY: the fast path for a first import of many faces (tens of thousands per second,
    /// against a few thousand through <see cref="EnrollAsync"/>). One transaction; unlike enrollment it is not
    /// idempotent: a face already stored (same collection, subject, image and model) fails the whole load with
    /// <see cref="PostgresException"/> 23505. Faster still into a table without the search index, built afterwards.
    /// </summary>
    /// <returns>The number of faces stored.</returns>
    public async Task<long> BulkLoadAsync(string collection, string modelId, IEnumerable<NewFace> faces, CancellationToken ct = default)
    {
        RequireCollection(collection);
        RequireModelId(modelId);
        ArgumentNullException.ThrowIfNull(faces);
        return await RunAsync(async (connection, token) =>
        {
            await using var import = await connection.BeginBinaryImportAsync(
                "COPY faces (face_id, collection, subject, model_id, code, embedding, box_x, box_y, box_width, box_height, score, image_sha256) " +
                "FROM STDIN (FORMAT BINARY)", token);
            var embedding = new byte[HalfvecBinaryLength];
            var index = 0;
            foreach (var face in faces)
            {
                var target = $"faces[{index++}]";
                RequireFace(face, target);
                await import.StartRowAsync(token);
                await import.WriteAsync(Guid.CreateVersion7(), NpgsqlTypes.NpgsqlDbType.Uuid, token);
                await import.WriteAsync(collection, NpgsqlTypes.NpgsqlDbType.Text, token);
                await import.WriteAsync(face.Subject, NpgsqlTypes.NpgsqlDbType.Text, token);
                await import.WriteAsync(modelId, NpgsqlTypes.NpgsqlDbType.Text, token);
                await import.WriteAsync(MemoryMarshal.AsBytes(face.Code.AsSpan()).ToArray(), NpgsqlTypes.NpgsqlDbType.Bytea, token);
                // Binary COPY fields carry no type: the server reads these bytes with halfvec's own receive function.
                WriteHalfvecBinary(face.Code, embedding);
                await import.WriteAsync(embedding, NpgsqlTypes.NpgsqlDbType.Bytea, token);
                await import.WriteAsync(face.Box.X, NpgsqlTypes.NpgsqlDbType.Real, token);
                await import.WriteAsync(face.Box.Y, NpgsqlTypes.NpgsqlDbType.Real, token);
                await import.WriteAsync(face.Box.Width, NpgsqlTypes.NpgsqlDbType.Real, token);
                await import.WriteAsync(face.Box.Height, NpgsqlTypes.NpgsqlDbType.Real, token);
                await import.WriteAsync(face.Score, NpgsqlTypes.NpgsqlDbType.Real, token);
                await import.WriteAsync(face.ImageSha256, NpgsqlTypes.NpgsqlDbType.Text, token);
            }
            return (long)await import.CompleteAsync(token);
        }, ct);
    }

    private const int HalfvecBinaryLength = 4 + 2 * CodeLength;

    /// <summary>
    /// The code as pgvector's binary halfvec (what face_code_to_halfvec returns): int16 dimensions, int16 zero, then one
    /// IEEE half per byte value, all big-endian. Every integer -128..127 is exact in a half.
    /// </summary>
    private static void WriteHalfvecBinary(sbyte[] code, byte[] target)
    {
        BinaryPrimitives.WriteInt16BigEndian(target, CodeLength);
        BinaryPrimitives.WriteInt16BigEndian(target.AsSpan(2), 0);
        for (var i = 0; i < CodeLength; i++)
            BinaryPrimitives.WriteHalfBigEndian(target.AsSpan(4 + 2 * i), (Half)code[i]);
    }

    /// <param name="efSearch">null: exact scan without the index.</param>
    private async Task<IReadOnlyList<FaceMatch>> SearchAsync(string collection, string modelId, sbyte[] code, int k, int? efSearch,
        CancellationToken ct)
    {
        RequireCollection(collection);
        RequireModelId(modelId);
        RequireCode(code, "code");
        Require(k is >= 1 and <= MaxK, $"k is between 1 and {MaxK}.", "k");

        var limit = InitialCandidates(k);
        var iterative = _filteredScans.ContainsKey((collection, modelId));
        while (true)
        {
            var candidates = await NearestFacesAsync(collection, modelId, code, limit, efSearch, iterative, ct);
            if (efSearch is { } ef && !iterative && candidates.Count < limit)
            {
                // Short: the filter dropped rows of other collections or models, the collection holds fewer faces than
                // the limit, or ef_search is below it. The first two hold for the next search of this collection too.
                if (limit <= ef)
                {
                    if (_filteredScans.Count >= MaxRememberedFilteredScans) _filteredScans.Clear();
                    _filteredScans[(collection, modelId)] = true;
                }
                iterative = true;
                continue;
            }
            var subjects = BestFacePerSubject(code, candidates);
            if (subjects.Count >= k || candidates.Count < limit || limit == MaxCandidates)
                return subjects.Count > k ? subjects.GetRange(0, k) : subjects;
            limit = Math.Min(limit * 4, MaxCandidates);
        }
    }

    /// <param name="iterative">
    /// hnsw.iterative_scan = relaxed_order: the index scan goes on past ef_search until <paramref name="limit"/> rows of
    /// this collection and model are found (pgvector >= 0.8). It costs ~30% more even when the filter drops nothing (at
    /// 1M faces, m 32, ef_search 150: 6.8 against 5.2 ms), so a search that the filter does not cut goes without it.
    /// </param>
    private Task<List<StoredCode>> NearestFacesAsync(string collection, string modelId, sbyte[] code, int limit, int? efSearch,
        bool iterative, CancellationToken ct) =>
        RunAsync(async (connection, token) =>
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
                SELECT face_id, subject, code FROM faces
                WHERE collection = @collection AND model_id = @model_id
                ORDER BY embedding <=> (SELECT face_code_to_halfvec(@code))
                LIMIT @limit
                """);
            query.Parameters.AddWithValue("collection", collection);
            query.Parameters.AddWithValue("model_id", modelId);
            query.Parameters.AddWithValue("code", MemoryMarshal.AsBytes(code.AsSpan()).ToArray());
            query.Parameters.AddWithValue("limit", limit);
            batch.BatchCommands.Add(settings);
            batch.BatchCommands.Add(query);

            var candidates = new List<StoredCode>(limit);
            await using (var reader = await batch.ExecuteReaderAsync(token))
            {
                await reader.NextResultAsync(token);
                while (await reader.ReadAsync(token)) candidates.Add(ReadCode(reader, 0));
            }
            await transaction.CommitAsync(token);
            return candidates;
        }, ct);

    /// <summary>Exact distances on the codes (the index order is approximate), best face per subject, nearest first.</summary>
    private List<FaceMatch> BestFacePerSubject(sbyte[] query, List<StoredCode> candidates)
    {
        var best = new Dictionary<string, FaceMatch>(StringComparer.Ordinal);
        foreach (var candidate in candidates)
        {
            var distance = quantizer.SquaredDistance(query, candidate.Code);
            if (!best.TryGetValue(candidate.Subject, out var current) || IsBefore(distance, candidate.FaceId, current.Distance, current.FaceId))
                best[candidate.Subject] = new FaceMatch(candidate.FaceId, candidate.Subject, distance);
        }
        var matches = best.Values.ToList();
        matches.Sort((a, b) => a.Distance != b.Distance ? a.Distance.CompareTo(b.Distance) : a.FaceId.CompareTo(b.FaceId));
        return matches;
    }

    private static bool IsBefore(float distance, Guid faceId, float otherDistance, Guid otherFaceId) =>
        distance < otherDistance || (distance == otherDistance && faceId.CompareTo(otherFaceId) < 0);

    /// <summary>One row of gallery_sizes, which triggers on faces keep exact (migration 0005).</summary>
    public async Task<long> CountFacesAsync(string collection, string modelId, CancellationToken ct = default)
    {
        RequireCollection(collection);
        RequireModelId(modelId);
        var rows = await QueryListAsync("SELECT faces FROM gallery_sizes WHERE collection = @collection AND model_id = @model_id",
            command =>
            {
                command.Parameters.AddWithValue("collection", collection);
                command.Parameters.AddWithValue("model_id", modelId);
            },
            reader => reader.GetInt64(0), ct);
        return rows.Count == 0 ? 0 : rows[0];
    }

    public async Task<IReadOnlyDictionary<string, long>> CountFacesByModelAsync(CancellationToken ct = default)
    {
        var rows = await QueryListAsync("SELECT model_id, sum(faces)::bigint FROM gallery_sizes GROUP BY model_id HAVING sum(faces) > 0",
            _ => { }, reader => (ModelId: reader.GetString(0), Faces: reader.GetInt64(1)), ct);
        return rows.ToDictionary(r => r.ModelId, r => r.Faces);
    }

    public Task<IReadOnlyList<StoredCode>> GetSubjectCodesAsync(string collection, string modelId, string subject, CancellationToken ct = default)
    {
        RequireCollection(collection);
        RequireModelId(modelId);
        RequireSubject(subject, "subject");
        return QueryListAsync(
            "SELECT face_id, subject, code FROM faces WHERE collection = @collection AND model_id = @model_id AND subject = @subject " +
            "ORDER BY created_at, face_id",
            command =>
            {
                command.Parameters.AddWithValue("collection", collection);
                command.Parameters.AddWithValue("model_id", modelId);
                command.Parameters.AddWithValue("subject", subject);
            },
            reader => ReadCode(reader, 0), ct);
    }

    public async Task<IReadOnlySet<string>> GetSubjectImageHashesAsync(string collection, string modelId, string subject,
        CancellationToken ct = default)
    {
        RequireCollection(collection);
        RequireModelId(modelId);
        RequireSubject(subject, "subject");
        var hashes = await QueryListAsync(
            "SELECT DISTINCT image_sha256 FROM faces WHERE collection = @collection AND model_id = @model_id AND subject = @subject",
            command =>
            {
                command.Parameters.AddWithValue("collection", collection);
                command.Parameters.AddWithValue("model_id", modelId);
                command.Parameters.AddWithValue("subject", subject);
            },
            reader => reader.GetString(0), ct);
        return hashes.ToHashSet(StringComparer.Ordinal);
    }

    public Task<IReadOnlyList<StoredCode>> GetCodesAsync(string collection, string modelId, IReadOnlyCollection<Guid>? faceIds,
        CancellationToken ct = default)
    {
        RequireCollection(collection);
        RequireModelId(modelId);
        if (faceIds is { Count: 0 }) return Task.FromResult<IReadOnlyList<StoredCode>>([]);
        return QueryListAsync(
            "SELECT face_id, subject, code FROM faces WHERE collection = @collection AND model_id = @model_id " +
            (faceIds is null ? "" : "AND face_id = ANY(@face_ids) ") + "ORDER BY created_at, face_id",
            command =>
            {
                command.Parameters.AddWithValue("collection", collection);
                command.Parameters.AddWithValue("model_id", modelId);
                if (faceIds is not null) command.Parameters.AddWithValue("face_ids", faceIds.ToArray());
            },
            reader => ReadCode(reader, 0), ct);
    }

    public Task<Paged<SubjectSummary>> ListSubjectsAsync(string collection, int page, int pageSize, CancellationToken ct = default)
    {
        RequireCollection(collection);
        Require(page >= 1, "page starts at 1.", "page");
        Require(pageSize is >= 1 and <= MaxPageSize, $"pageSize is between 1 and {MaxPageSize}.", "pageSize");
        return RunAsync(async (connection, token) =>
        {
            // One snapshot for the page and the total, so they agree.
            await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, token);
            await using var batch = new NpgsqlBatch(connection, transaction);
            var total = new NpgsqlBatchCommand("SELECT count(DISTINCT subject) FROM faces WHERE collection = @collection");
            total.Parameters.AddWithValue("collection", collection);
            var items = new NpgsqlBatchCommand("""
                SELECT subject, collection, count(*)::int, min(created_at), max(created_at) FROM faces
                WHERE collection = @collection GROUP BY collection, subject ORDER BY subject LIMIT @limit OFFSET @offset
                """);
            items.Parameters.AddWithValue("collection", collection);
            items.Parameters.AddWithValue("limit", pageSize);
            items.Parameters.AddWithValue("offset", (long)(page - 1) * pageSize);
            batch.BatchCommands.Add(total);
            batch.BatchCommands.Add(items);

            long count;
            var summaries = new List<SubjectSummary>(pageSize);
            await using (var reader = await batch.ExecuteReaderAsync(token))
            {
                await reader.ReadAsync(token);
                count = reader.GetInt64(0);
                await reader.NextResultAsync(token);
                while (await reader.ReadAsync(token)) summaries.Add(ReadSubject(reader));
            }
            await transaction.CommitAsync(token);
            return new Paged<SubjectSummary>(summaries, page, pageSize, count);
        }, ct);
    }

    public async Task<SubjectSummary?> GetSubjectAsync(string collection, string subject, CancellationToken ct = default)
    {
        RequireCollection(collection);
        RequireSubject(subject, "subject");
        var rows = await QueryListAsync(
            "SELECT subject, collection, count(*)::int, min(created_at), max(created_at) FROM faces " +
            "WHERE collection = @collection AND subject = @subject GROUP BY collection, subject",
            command =>
            {
                command.Parameters.AddWithValue("collection", collection);
                command.Parameters.AddWithValue("subject", subject);
            },
            ReadSubject, ct);
        return rows.Count == 0 ? null : rows[0];
    }

    public Task<IReadOnlyList<StoredFace>> GetSubjectFacesAsync(string collection, string subject, CancellationToken ct = default)
    {
        RequireCollection(collection);
        RequireSubject(subject, "subject");
        return QueryListAsync(
            $"SELECT {FaceColumns} FROM faces WHERE collection = @collection AND subject = @subject ORDER BY created_at, face_id",
            command =>
            {
                command.Parameters.AddWithValue("collection", collection);
                command.Parameters.AddWithValue("subject", subject);
            },
            ReadFace, ct);
    }

    public Task<int> DeleteSubjectAsync(string collection, string subject, AuditActor? actor = null, CancellationToken ct = default)
    {
        RequireCollection(collection);
        RequireSubject(subject, "subject");
        return DeleteAsync("DELETE FROM faces WHERE collection = @collection AND subject = @subject", command =>
        {
            command.Parameters.AddWithValue("collection", collection);
            command.Parameters.AddWithValue("subject", subject);
        }, removed => actor?.Entry(AuditActions.DeleteSubject, collection, subject, [], removed), ct);
    }

    public async Task<StoredFace?> GetFaceAsync(Guid faceId, CancellationToken ct = default) =>
        (await QueryListAsync($"SELECT {FaceColumns} FROM faces WHERE face_id = @face_id",
            command => command.Parameters.AddWithValue("face_id", faceId), ReadFace, ct)).SingleOrDefault();

    public Task<bool> DeleteFaceAsync(Guid faceId, AuditActor? actor = null, CancellationToken ct = default) =>
        InTransactionAsync(async (connection, transaction, token) =>
        {
            await using var command = new NpgsqlCommand("DELETE FROM faces WHERE face_id = @face_id RETURNING collection, subject", connection, transaction);
            command.Parameters.AddWithValue("face_id", faceId);
            await using var reader = await command.ExecuteReaderAsync(token);
            if (!await reader.ReadAsync(token)) return (false, null);
            return (true, actor?.Entry(AuditActions.DeleteFace, reader.GetString(0), reader.GetString(1), [faceId], 1));
        }, ct);

    public Task<IReadOnlyList<CollectionSummary>> ListCollectionsAsync(CancellationToken ct = default) =>
        QueryListAsync(
            "SELECT collection, count(DISTINCT subject)::int, count(*)::int FROM faces GROUP BY collection ORDER BY collection",
            _ => { },
            reader => new CollectionSummary(reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2)), ct);

    public Task<int> DeleteCollectionAsync(string collection, AuditActor? actor = null, CancellationToken ct = default)
    {
        RequireCollection(collection);
        return DeleteAsync("DELETE FROM faces WHERE collection = @collection",
            command => command.Parameters.AddWithValue("collection", collection),
            removed => actor?.Entry(AuditActions.DeleteCollection, collection, null, [], removed), ct);
    }

    private Task<IReadOnlyList<T>> QueryListAsync<T>(string sql, Action<NpgsqlCommand> bind, Func<NpgsqlDataReader, T> read,
        CancellationToken ct) =>
        RunAsync(async (connection, token) =>
        {
            await using var command = new NpgsqlCommand(sql, connection);
            bind(command);
            await using var reader = await command.ExecuteReaderAsync(token);
            var rows = new List<T>();
            while (await reader.ReadAsync(token)) rows.Add(read(reader));
            return (IReadOnlyList<T>)rows;
        }, ct);

    /// <summary>A DELETE and, when it removed rows, the audit record <paramref name="describe"/> makes of their count.</summary>
    private Task<int> DeleteAsync(string sql, Action<NpgsqlCommand> bind, Func<int, AuditEntry?> describe, CancellationToken ct) =>
        InTransactionAsync(async (connection, transaction, token) =>
        {
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            bind(command);
            var removed = await command.ExecuteNonQueryAsync(token);
            return (removed, removed > 0 ? describe(removed) : null);
        }, ct);

    /// <summary>A change and its audit record (if any) in one transaction: both are committed or neither is.</summary>
    private Task<T> InTransactionAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<(T Result, AuditEntry? Audit)>> change,
        CancellationToken ct) =>
        RunAsync(async (connection, token) =>
        {
            await using var transaction = await connection.BeginTransactionAsync(token);
            var (result, audit) = await change(connection, transaction, token);
            if (audit is not null) await AuditRows.InsertAsync(connection, transaction, audit, token);
            await transaction.CommitAsync(token);
            return result;
        }, ct);

    private async Task<T> RunAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> work, CancellationToken ct)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            return await work(connection, ct);
        }
        catch (Exception e) when (StoreErrors.IsUnavailable(e) && !ct.IsCancellationRequested)
        {
            throw StoreErrors.Unavailable(e);
        }
    }

    private static StoredFace ReadFace(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetString(1), r.GetString(2),
        new FaceBox(r.GetFloat(3), r.GetFloat(4), r.GetFloat(5), r.GetFloat(6)), r.GetFloat(7), r.GetString(8), r.GetString(9),
        r.GetFieldValue<DateTimeOffset>(10));

    private static StoredCode ReadCode(NpgsqlDataReader r, int first) =>
        new(r.GetGuid(first), r.GetString(first + 1), MemoryMarshal.Cast<byte, sbyte>(r.GetFieldValue<byte[]>(first + 2)).ToArray());

    private static SubjectSummary ReadSubject(NpgsqlDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetFieldValue<DateTimeOffset>(3), r.GetFieldValue<DateTimeOffset>(4));

    private static void Require(bool condition, string message, string target)
    {
        if (!condition) throw new FaceServiceException(FaceServiceError.ValidationFailed, message, target);
    }

    private static void RequireCollection(string collection)
    {
        if (Identifiers.CheckCollection(collection) is { } problem)
            throw new FaceServiceException(FaceServiceError.ValidationFailed, problem, "collection");
    }

    private static void RequireSubject(string subject, string target) => Identifiers.RequireSubject(subject, target);

    private static void RequireModelId(string modelId) =>
        Require(!string.IsNullOrEmpty(modelId) && modelId.Length <= MaxModelIdLength,
            $"A model id is 1 to {MaxModelIdLength} characters.", "modelId");

    // An all-zero code stands for no direction: it has no distance to anything.
    private static void RequireCode(sbyte[]? code, string target) =>
        Require(code is { Length: CodeLength } && code.AsSpan().IndexOfAnyExcept((sbyte)0) >= 0,
            $"A face code is {CodeLength} bytes, not all zero.", target);

    /// <returns>The face's box.</returns>
    private static FaceBox RequireFace(NewFace? face, string target)
    {
        Require(face is not null, "A face is required.", target);
        RequireSubject(face!.Subject, $"{target}.subject");
        RequireCode(face.Code, $"{target}.code");
        var box = face.Box;
        Require(float.IsFinite(box.X) && float.IsFinite(box.Y) && float.IsFinite(box.Width) && float.IsFinite(box.Height)
                && box.Width > 0 && box.Height > 0, "A face box needs finite coordinates and a positive size.", $"{target}.box");
        Require(face.Score is >= 0 and <= 1, "A face score is in [0, 1].", $"{target}.score");
        Require(IsSha256Hex(face.ImageSha256), "An image hash is 64 lower-case hex digits (SHA-256).", $"{target}.imageSha256");
        return box;
    }

    private static bool IsSha256Hex(string? hash) =>
        hash is { Length: 64 } && hash.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}
