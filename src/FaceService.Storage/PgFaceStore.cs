using FaceService.Core.Naming;
using FaceService.Core.Security;
using FaceService.Core.Storage;
using Npgsql;
using static FaceService.Storage.StoreInput;

namespace FaceService.Storage;

/// <summary>
/// <see cref="IFaceStore"/> on PostgreSQL + pgvector: faces written, read and erased, each change with its audit record
/// in one transaction. Search is <see cref="PgFaceSearch"/>'s.
/// </summary>
public sealed class PgFaceStore(PgDatabase database, PgFaceSearch search) : IFaceStore
{
    public async Task<IReadOnlyList<StoredFace>> EnrollAsync(CollectionName collection, string modelId, IReadOnlyList<NewFace> faces,
        AuditActor? actor = null, CancellationToken ct = default)
    {
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
        var qualities = new float?[n];
        var lowQuality = new bool[n];
        for (var i = 0; i < n; i++)
        {
            var face = faces[i];
            var box = RequireFace(face, $"faces[{i}]");

            ids[i] = Guid.CreateVersion7();
            subjects[i] = face.Subject.Value;
            codes[i] = FaceRows.CodeBytes(face.Code);
            (xs[i], ys[i], widths[i], heights[i]) = (box.X, box.Y, box.Width, box.Height);
            scores[i] = face.Score;
            hashes[i] = face.ImageSha256;
            qualities[i] = face.Quality;
            lowQuality[i] = face.LowQuality;
        }

        return await PgCommands.WriteAsync(database, async (connection, token) =>
        {
            await using var transaction = await connection.BeginTransactionAsync(token);
            await using var batch = new NpgsqlBatch(connection, transaction);
            // Existing (collection, subject, image, model) rows are kept as they are; the SELECT then returns each input's
            // row, new or old, in input order. As a separate statement it also sees rows a concurrent enrollment committed
            // while this INSERT waited on them.
            var insert = new NpgsqlBatchCommand($"""
                INSERT INTO faces (face_id, collection, subject, model_id, code, embedding, box_x, box_y, box_width, box_height, score, image_sha256,
                                   quality, low_quality)
                SELECT i.face_id, @collection, i.subject, @model_id, i.code, face_code_to_halfvec(i.code), i.box_x, i.box_y, i.box_width, i.box_height, i.score, i.image_sha256,
                       i.quality, i.low_quality
                FROM unnest(@face_ids, @subjects, @codes, @xs, @ys, @widths, @heights, @scores, @hashes, @qualities, @low_quality)
                     AS i(face_id, subject, code, box_x, box_y, box_width, box_height, score, image_sha256, quality, low_quality)
                ON CONFLICT ON CONSTRAINT faces_enrollment_key DO NOTHING
                """);
            insert.Parameters.AddWithValue("collection", collection.Value);
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
            insert.Parameters.Add(new NpgsqlParameter("qualities", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Real) { Value = qualities });
            insert.Parameters.AddWithValue("low_quality", lowQuality);
            var select = new NpgsqlBatchCommand($"""
                SELECT {FaceRows.AliasedFaceColumns}
                FROM unnest(@subjects, @hashes) WITH ORDINALITY AS k(subject, image_sha256, ord)
                JOIN faces f ON f.collection = @collection AND f.model_id = @model_id
                            AND f.subject = k.subject AND f.image_sha256 = k.image_sha256
                ORDER BY k.ord
                """);
            select.Parameters.AddWithValue("collection", collection.Value);
            select.Parameters.AddWithValue("model_id", modelId);
            select.Parameters.AddWithValue("subjects", subjects);
            select.Parameters.AddWithValue("hashes", hashes);
            batch.BatchCommands.Add(insert);
            batch.BatchCommands.Add(select);

            var stored = new List<StoredFace>(n);
            await using (var reader = await batch.ExecuteReaderAsync(token))
            {
                while (await reader.ReadAsync(token)) stored.Add(FaceRows.ReadFace(reader));
            }
            if (stored.Count != n)
                throw new InvalidOperationException($"Enrollment stored {stored.Count} faces for {n} inputs.");
            if (actor is not null)
            {
                // One subject per enrollment is the service's case; a record of several subjects names none.
                var faceIds = stored.Select(f => f.FaceId).Distinct().ToList();
                var subject = stored.Select(f => f.Subject).Distinct().ToList() is [var only] ? only : null;
                await AuditRows.InsertAsync(connection, transaction, actor.Entry(AuditActions.Enroll, collection.Value, subject, faceIds, faceIds.Count), token);
            }
            await transaction.CommitAsync(token);
            return (IReadOnlyList<StoredFace>)stored;
        }, ct);
    }

    public Task<IReadOnlyList<SubjectMatch>> SearchSubjectsAsync(CollectionName collection, string modelId, sbyte[] code, int k, int? efSearch = null,
        CancellationToken ct = default) =>
        search.SearchSubjectsAsync(collection, modelId, code, k, efSearch, ct);

    public Task<IReadOnlyDictionary<string, Guid>> NearestFacesAsync(CollectionName collection, string modelId, sbyte[] code,
        IReadOnlyCollection<string> subjects, CancellationToken ct = default) =>
        search.NearestFacesAsync(collection, modelId, code, subjects, ct);

    /// <summary>One row of gallery_sizes, which triggers on faces and templates keep exact (migrations 0005, 0008).</summary>
    public Task<GallerySize> GetGallerySizeAsync(CollectionName collection, string modelId, CancellationToken ct = default)
    {
        RequireModelId(modelId);
        return search.GallerySizeAsync(collection, modelId, ct);
    }

    public async Task<IReadOnlyDictionary<string, long>> CountFacesByModelAsync(CancellationToken ct = default)
    {
        var rows = await PgCommands.QueryListAsync(database, "SELECT model_id, sum(faces)::bigint FROM gallery_sizes GROUP BY model_id HAVING sum(faces) > 0",
            _ => { }, reader => (ModelId: reader.GetString(0), Faces: reader.GetInt64(1)), ct);
        return rows.ToDictionary(r => r.ModelId, r => r.Faces);
    }

    public Task<IReadOnlyList<StoredCode>> GetSubjectCodesAsync(CollectionName collection, string modelId, SubjectId subject, CancellationToken ct = default)
    {
        RequireModelId(modelId);
        return PgCommands.QueryListAsync(database, 
            $"SELECT {FaceRows.CodeColumns} FROM faces WHERE collection = @collection AND model_id = @model_id AND subject = @subject " +
            "ORDER BY created_at, face_id",
            command =>
            {
                command.Parameters.AddWithValue("collection", collection.Value);
                command.Parameters.AddWithValue("model_id", modelId);
                command.Parameters.AddWithValue("subject", subject.Value);
            },
            reader => FaceRows.ReadCode(reader), ct);
    }

    public async Task<IReadOnlySet<string>> GetSubjectImageHashesAsync(CollectionName collection, string modelId, SubjectId subject,
        CancellationToken ct = default)
    {
        RequireModelId(modelId);
        var hashes = await PgCommands.QueryListAsync(database, 
            "SELECT DISTINCT image_sha256 FROM faces WHERE collection = @collection AND model_id = @model_id AND subject = @subject",
            command =>
            {
                command.Parameters.AddWithValue("collection", collection.Value);
                command.Parameters.AddWithValue("model_id", modelId);
                command.Parameters.AddWithValue("subject", subject.Value);
            },
            reader => reader.GetString(0), ct);
        return hashes.ToHashSet(StringComparer.Ordinal);
    }

    public Task<IReadOnlyList<StoredCode>> GetCodesAsync(CollectionName collection, string modelId, IReadOnlyCollection<Guid>? faceIds,
        CancellationToken ct = default)
    {
        RequireModelId(modelId);
        if (faceIds is { Count: 0 }) return Task.FromResult<IReadOnlyList<StoredCode>>([]);
        return PgCommands.QueryListAsync(database, 
            $"SELECT {FaceRows.CodeColumns} FROM faces WHERE collection = @collection AND model_id = @model_id " +
            (faceIds is null ? "" : "AND face_id = ANY(@face_ids) ") + "ORDER BY created_at, face_id",
            command =>
            {
                command.Parameters.AddWithValue("collection", collection.Value);
                command.Parameters.AddWithValue("model_id", modelId);
                if (faceIds is not null) command.Parameters.AddWithValue("face_ids", faceIds.ToArray());
            },
            reader => FaceRows.ReadCode(reader), ct);
    }

    public Task<Paged<SubjectSummary>> ListSubjectsAsync(CollectionName collection, int page, int pageSize, CancellationToken ct = default)
    {
        Require(page >= 1, "page starts at 1.", "page");
        Require(pageSize is >= 1 and <= StoreLimits.MaxPageSize, $"pageSize is between 1 and {StoreLimits.MaxPageSize}.", "pageSize");
        return PgCommands.ReadAsync(database, async (connection, token) =>
        {
            // One snapshot for the page and the total, so they agree.
            await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, token);
            await using var batch = new NpgsqlBatch(connection, transaction);
            var total = new NpgsqlBatchCommand("SELECT count(DISTINCT subject) FROM faces WHERE collection = @collection AND subject IS NOT NULL");
            total.Parameters.AddWithValue("collection", collection.Value);
            var items = new NpgsqlBatchCommand("""
                SELECT subject, collection, count(*)::int, min(created_at), max(created_at) FROM faces
                WHERE collection = @collection AND subject IS NOT NULL GROUP BY collection, subject ORDER BY subject LIMIT @limit OFFSET @offset
                """);
            items.Parameters.AddWithValue("collection", collection.Value);
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
                while (await reader.ReadAsync(token)) summaries.Add(FaceRows.ReadSubject(reader));
            }
            await transaction.CommitAsync(token);
            return new Paged<SubjectSummary>(summaries, page, pageSize, count);
        }, ct);
    }

    public async Task<SubjectSummary?> GetSubjectAsync(CollectionName collection, SubjectId subject, CancellationToken ct = default)
    {
        var rows = await PgCommands.QueryListAsync(database, 
            "SELECT subject, collection, count(*)::int, min(created_at), max(created_at) FROM faces " +
            "WHERE collection = @collection AND subject = @subject GROUP BY collection, subject",
            command =>
            {
                command.Parameters.AddWithValue("collection", collection.Value);
                command.Parameters.AddWithValue("subject", subject.Value);
            },
            FaceRows.ReadSubject, ct);
        return rows.Count == 0 ? null : rows[0];
    }

    public Task<IReadOnlyList<StoredFace>> GetSubjectFacesAsync(CollectionName collection, SubjectId subject, CancellationToken ct = default)
    {
        return PgCommands.QueryListAsync(database, 
            $"SELECT {FaceRows.FaceColumns} FROM faces WHERE collection = @collection AND subject = @subject ORDER BY created_at, face_id",
            command =>
            {
                command.Parameters.AddWithValue("collection", collection.Value);
                command.Parameters.AddWithValue("subject", subject.Value);
            },
            FaceRows.ReadFace, ct);
    }

    public Task<int> DeleteSubjectAsync(CollectionName collection, SubjectId subject, AuditActor? actor = null, CancellationToken ct = default)
    {
        return PgCommands.DeleteAsync(database, "DELETE FROM faces WHERE collection = @collection AND subject = @subject", command =>
        {
            command.Parameters.AddWithValue("collection", collection.Value);
            command.Parameters.AddWithValue("subject", subject.Value);
        }, removed => actor?.Entry(AuditActions.DeleteSubject, collection.Value, subject.Value, [], removed), ct);
    }

    public async Task<StoredFace?> GetFaceAsync(Guid faceId, CancellationToken ct = default) =>
        (await PgCommands.QueryListAsync(database, $"SELECT {FaceRows.FaceColumns} FROM faces WHERE face_id = @face_id",
            command => command.Parameters.AddWithValue("face_id", faceId), FaceRows.ReadFace, ct)).SingleOrDefault();

    public Task<bool> DeleteFaceAsync(Guid faceId, AuditActor? actor = null, CancellationToken ct = default) =>
        PgCommands.InTransactionAsync(database, async (connection, transaction, token) =>
        {
            await using var command = new NpgsqlCommand("DELETE FROM faces WHERE face_id = @face_id RETURNING collection, subject", connection, transaction);
            command.Parameters.AddWithValue("face_id", faceId);
            await using var reader = await command.ExecuteReaderAsync(token);
            if (!await reader.ReadAsync(token)) return (false, null);
            return (true, actor?.Entry(AuditActions.DeleteFace, reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), [faceId], 1));
        }, ct);

    public Task<IReadOnlyList<CollectionSummary>> ListCollectionsAsync(CancellationToken ct = default) =>
        PgCommands.QueryListAsync(database, 
            "SELECT collection, count(DISTINCT subject)::int, count(*)::int FROM faces GROUP BY collection ORDER BY collection",
            _ => { },
            reader => new CollectionSummary(reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2)), ct);

    public Task<int> DeleteCollectionAsync(CollectionName collection, AuditActor? actor = null, CancellationToken ct = default)
    {
        // The collection's record of indexed photos and its jobs go with its faces (clusters go with their last face,
        // templates with their subject's); then its own partition of the templates, if it had one, now empty.
        return PgCommands.DeleteAsync(database, $"""
            WITH photos AS (DELETE FROM indexed_photos WHERE collection = @collection),
                 jobs AS (DELETE FROM recluster_jobs WHERE collection = @collection AND state NOT IN ('queued', 'running'))
            DELETE FROM faces WHERE collection = @collection;
            DROP TABLE IF EXISTS {PgCollectionPartitions.PartitionName(collection)}
            """,
            command => command.Parameters.AddWithValue("collection", collection.Value),
            removed => actor?.Entry(AuditActions.DeleteCollection, collection.Value, null, [], removed), ct);
    }
}
