using FaceService.Core.Clustering;
using FaceService.Core.Embeddings;
using FaceService.Core.Naming;
using FaceService.Core.Security;
using FaceService.Core.Services;
using FaceService.Core.Storage;
using Npgsql;
using NpgsqlTypes;
using static FaceService.Storage.StoreInput;

namespace FaceService.Storage;

/// <summary>
/// <see cref="IPeopleStore"/> on PostgreSQL (migration 0009). Every change that touches a collection's clusters first
/// takes the collection's transaction-level advisory lock, so that a face's choice of cluster is made against the
/// clusters as they are and two writers never both take a cluster that only one of them may. Cluster sizes, sums and
/// versions, and subjects' templates, follow the faces through the triggers.
/// </summary>
public sealed class PgPeopleStore(PgDatabase database, ClusterJoining joining, IEmbeddingQuantizer quantizer) : IPeopleStore
{
    // Two boxes of one photo that overlap this much are one face (detection is deterministic: the same photo gives the same boxes).
    private const float SameFaceOverlap = 0.5f;

    public Task<IndexedPhoto> IndexPhotoAsync(CollectionName collection, string modelId, PhotoToIndex photo, AuditActor? actor = null,
        CancellationToken ct = default)
    {
        RequireModelId(modelId);
        ArgumentNullException.ThrowIfNull(photo);
        Require(photo.ImageSha256 is { Length: 64 }, "An image hash is 64 lower-case hex digits (SHA-256).", "imageSha256");
        for (var i = 0; i < photo.Faces.Count; i++) RequireCode(photo.Faces[i].Code, $"faces[{i}].code");

        return InCollectionTransactionAsync(collection, async (connection, transaction, token) =>
        {
            var existing = await QueryFacesAsync(connection, transaction,
                "collection = @collection AND model_id = @model_id AND image_sha256 = @sha", command =>
                {
                    Bind(command.Parameters, collection, modelId);
                    command.Parameters.AddWithValue("sha", photo.ImageSha256);
                }, token);
            if (await PhotoIndexedAsync(connection, transaction, collection, modelId, photo.ImageSha256, token))
                return (new IndexedPhoto(true, existing), null);

            // A face enrolled from this photo is stored already; the others of the photo are new.
            var fresh = photo.Faces.Where(f => !existing.Any(e => e.Box.IntersectionOverUnion(f.Box) > SameFaceOverlap)).ToList();
            var clustered = fresh.Where(f => !f.LowQuality).ToList();
            var nearby = new List<IReadOnlyList<NearbyCluster>>(clustered.Count);
            foreach (var face in clustered)
                nearby.Add(await NearbyClustersAsync(connection, transaction, collection, modelId, face.Unit, photo.ImageSha256, token));
            var chosen = joining.ChooseForPhoto([.. clustered.Select(f => f.Unit)], nearby);

            var ids = new List<Guid>(fresh.Count);
            var stored = new List<StoredFace>(fresh.Count);
            foreach (var face in fresh)
            {
                var at = clustered.IndexOf(face);
                long? cluster = at < 0 ? null : chosen[at] ?? await NewClusterAsync(connection, transaction, collection, modelId, token);
                ids.Add(Guid.CreateVersion7());
                await InsertFaceAsync(connection, transaction, collection, modelId, ids[^1], face, photo, cluster, token);
            }
            await using (var record = new NpgsqlCommand("""
                INSERT INTO indexed_photos (collection, model_id, image_sha256, source, faces_indexed, faces_refused)
                VALUES (@collection, @model_id, @sha, @source, @indexed, @refused)
                """, connection, transaction))
            {
                Bind(record.Parameters, collection, modelId);
                record.Parameters.AddWithValue("sha", photo.ImageSha256);
                record.Parameters.Add(new NpgsqlParameter("source", NpgsqlDbType.Text) { Value = (object?)photo.Source ?? DBNull.Value });
                record.Parameters.AddWithValue("indexed", fresh.Count);
                record.Parameters.AddWithValue("refused", photo.FacesRefused);
                await record.ExecuteNonQueryAsync(token);
            }
            if (ids.Count > 0)
                stored.AddRange(await QueryFacesAsync(connection, transaction, "face_id = ANY(@ids)",
                    command => command.Parameters.AddWithValue("ids", ids.ToArray()), token));
            return (new IndexedPhoto(false, [.. existing, .. stored]),
                ids.Count > 0 ? actor?.Entry(AuditActions.Index, collection.Value, null, ids, ids.Count) : null);
        }, ct);
    }

    public async Task<IReadOnlySet<string>> GetIndexedPhotosAsync(CollectionName collection, string modelId, CancellationToken ct = default)
    {
        RequireModelId(modelId);
        var rows = await PgCommands.QueryListAsync(database,
            "SELECT image_sha256 FROM indexed_photos WHERE collection = @collection AND model_id = @model_id",
            command => Bind(command.Parameters, collection, modelId), reader => reader.GetString(0), ct);
        return rows.ToHashSet(StringComparer.Ordinal);
    }

    public Task<ClusterListing> ListClustersAsync(CollectionName collection, string modelId, int page, int pageSize, int minFaces, int sample,
        CancellationToken ct = default)
    {
        RequireModelId(modelId);
        Require(page >= 1, "page starts at 1.", "page");
        Require(pageSize is >= 1 and <= StoreLimits.MaxPageSize, $"pageSize is between 1 and {StoreLimits.MaxPageSize}.", "pageSize");
        Require(minFaces >= 1, "minFaces is at least 1.", "minFaces");
        Require(sample is >= 0 and <= StoreLimits.MaxPageSize, $"sample is between 0 and {StoreLimits.MaxPageSize}.", "sample");
        return PgCommands.ReadAsync(database, async (connection, token) =>
        {
            await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, token);
            long total, unnamed, lowQuality;
            var clusters = new List<(long Id, int Faces, int Version, DateTimeOffset UpdatedAt)>();
            await using (var batch = new NpgsqlBatch(connection, transaction))
            {
                var counts = new NpgsqlBatchCommand("""
                    SELECT (SELECT count(*) FROM face_clusters WHERE collection = @collection AND model_id = @model_id AND faces >= @min_faces),
                           count(*), count(*) FILTER (WHERE low_quality)
                    FROM faces WHERE collection = @collection AND model_id = @model_id AND subject IS NULL
                    """);
                var items = new NpgsqlBatchCommand("""
                    SELECT cluster_id, faces, version, updated_at FROM face_clusters
                    WHERE collection = @collection AND model_id = @model_id AND faces >= @min_faces
                    ORDER BY faces DESC, cluster_id LIMIT @limit OFFSET @offset
                    """);
                foreach (var command in new[] { counts, items })
                {
                    Bind(command.Parameters, collection, modelId);
                    command.Parameters.AddWithValue("min_faces", minFaces);
                }
                items.Parameters.AddWithValue("limit", pageSize);
                items.Parameters.AddWithValue("offset", (long)(page - 1) * pageSize);
                batch.BatchCommands.Add(counts);
                batch.BatchCommands.Add(items);
                await using var reader = await batch.ExecuteReaderAsync(token);
                await reader.ReadAsync(token);
                (total, unnamed, lowQuality) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
                await reader.NextResultAsync(token);
                while (await reader.ReadAsync(token))
                    clusters.Add((reader.GetInt64(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetFieldValue<DateTimeOffset>(3)));
            }
            // The best faces first: the sample is what a person looks at to name the cluster.
            var samples = sample == 0 || clusters.Count == 0 ? [] : await QueryFacesAsync(connection, transaction, """
                face_id IN (SELECT face_id FROM (SELECT face_id, row_number() OVER (PARTITION BY cluster_id ORDER BY quality DESC NULLS LAST, face_id) AS r
                                                 FROM faces WHERE cluster_id = ANY(@ids)) s WHERE r <= @sample)
                """, command =>
                {
                    command.Parameters.AddWithValue("ids", clusters.Select(c => c.Id).ToArray());
                    command.Parameters.AddWithValue("sample", sample);
                }, token);
            await transaction.CommitAsync(token);
            var byCluster = samples.ToLookup(f => f.ClusterId);
            var summaries = clusters.Select(c => new ClusterSummary(c.Id, c.Faces, c.Version, c.UpdatedAt,
                [.. byCluster[c.Id].OrderByDescending(f => f.Quality ?? 0).ThenBy(f => f.FaceId)])).ToList();
            return new ClusterListing(new Paged<ClusterSummary>(summaries, page, pageSize, total), unnamed, lowQuality);
        }, ct);
    }

    public Task<ClusterSummary?> GetClusterAsync(CollectionName collection, long clusterId, CancellationToken ct = default) =>
        PgCommands.ReadAsync(database, async (connection, token) =>
        {
            await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, token);
            var cluster = await FindClusterAsync(connection, transaction, collection, clusterId, token);
            ClusterSummary? result = null;
            if (cluster is { } c)
            {
                var faces = await QueryFacesAsync(connection, transaction, "cluster_id = @cluster_id",
                    command => command.Parameters.AddWithValue("cluster_id", clusterId), token);
                result = new ClusterSummary(clusterId, c.Faces, c.Version, c.UpdatedAt, faces);
            }
            await transaction.CommitAsync(token);
            return result;
        }, ct);

    public Task<IReadOnlyList<StoredFace>> NameClusterAsync(CollectionName collection, long clusterId, SubjectId subject, int? expectedVersion,
        AuditActor? actor = null, CancellationToken ct = default) =>
        InCollectionTransactionAsync(collection, async (connection, transaction, token) =>
        {
            var cluster = await FindClusterAsync(connection, transaction, collection, clusterId, token)
                ?? throw ClusterNotFound(collection, clusterId);
            if (expectedVersion is { } version && version != cluster.Version)
                throw new FaceServiceException(FaceServiceError.ClusterChanged,
                    $"Cluster {clusterId} is at version {cluster.Version}, not {version}: faces joined or left it since; look at it again.", "version");
            var named = await MoveFacesAsync(connection, transaction, "cluster_id = @cluster_id", subject,
                command => command.Parameters.AddWithValue("cluster_id", clusterId), token);
            var faces = await QueryFacesAsync(connection, transaction, "face_id = ANY(@ids)",
                command => command.Parameters.AddWithValue("ids", named.ToArray()), token);
            return ((IReadOnlyList<StoredFace>)faces, actor?.Entry(AuditActions.NameCluster, collection.Value, subject.Value, named, named.Count));
        }, ct);

    public Task<int> RenameSubjectAsync(CollectionName collection, SubjectId subject, SubjectId newName, AuditActor? actor = null,
        CancellationToken ct = default) =>
        InCollectionTransactionAsync(collection, async (connection, transaction, token) =>
        {
            Require(subject.Value != newName.Value, "The new name is the subject's name already.", "name");
            if (await CountSubjectFacesAsync(connection, transaction, collection, newName, token) > 0)
                throw new FaceServiceException(FaceServiceError.SubjectExists,
                    $"Collection '{collection}' already has a subject '{newName}'; merge into it instead.", "name");
            var moved = await MoveSubjectAsync(connection, transaction, collection, subject, newName, token);
            return (moved.Count, actor?.Entry(AuditActions.RenameSubject, collection.Value, newName.Value, moved, moved.Count, fromSubject: subject.Value));
        }, ct);

    public Task<int> MergeSubjectsAsync(CollectionName collection, SubjectId subject, SubjectId into, AuditActor? actor = null,
        CancellationToken ct = default) =>
        InCollectionTransactionAsync(collection, async (connection, transaction, token) =>
        {
            Require(subject.Value != into.Value, $"A subject cannot be merged into itself ('{subject}').", "into");
            if (await CountSubjectFacesAsync(connection, transaction, collection, into, token) == 0)
                throw FaceServiceException.SubjectNotFound(into, collection);
            var moved = await MoveSubjectAsync(connection, transaction, collection, subject, into, token);
            return (moved.Count, actor?.Entry(AuditActions.MergeSubjects, collection.Value, into.Value, moved, moved.Count, fromSubject: subject.Value));
        }, ct);

    public Task<StoredFace> MoveFaceAsync(CollectionName collection, Guid faceId, SubjectId? subject, AuditActor? actor = null,
        CancellationToken ct = default) =>
        InCollectionTransactionAsync(collection, async (connection, transaction, token) =>
        {
            var face = (await QueryFacesAsync(connection, transaction, "face_id = @face_id AND collection = @collection", command =>
                {
                    command.Parameters.AddWithValue("face_id", faceId);
                    command.Parameters.AddWithValue("collection", collection.Value);
                }, token)).SingleOrDefault()
                ?? throw new FaceServiceException(FaceServiceError.FaceNotFound, $"No face {faceId} in collection '{collection}'.", "faceId");
            if (face.Subject == subject?.Value) return (face, null);

            if (subject is { } name)
            {
                await MoveFacesAsync(connection, transaction, "face_id = @face_id", name, command => command.Parameters.AddWithValue("face_id", faceId), token);
            }
            else
            {
                // Back to the unnamed faces: into the cluster it joins among them, as if it were indexed now.
                long? cluster = null;
                if (!face.LowQuality)
                {
                    var unit = quantizer.Dequantize(await ReadCodeAsync(connection, transaction, faceId, token));
                    var nearby = await NearbyClustersAsync(connection, transaction, collection, face.ModelId, unit, face.ImageSha256, token);
                    cluster = joining.ChooseForPhoto([unit], [nearby])[0] ?? await NewClusterAsync(connection, transaction, collection, face.ModelId, token);
                }
                await using var update = new NpgsqlCommand("UPDATE faces SET subject = NULL, cluster_id = @cluster_id WHERE face_id = @face_id",
                    connection, transaction);
                update.Parameters.AddWithValue("face_id", faceId);
                update.Parameters.Add(new NpgsqlParameter("cluster_id", NpgsqlDbType.Bigint) { Value = (object?)cluster ?? DBNull.Value });
                await update.ExecuteNonQueryAsync(token);
            }
            var moved = (await QueryFacesAsync(connection, transaction, "face_id = @face_id",
                command => command.Parameters.AddWithValue("face_id", faceId), token)).Single();
            return (moved, actor?.Entry(AuditActions.MoveFace, collection.Value, subject?.Value, [faceId], 1, fromSubject: face.Subject));
        }, ct);

    public Task<int> DeleteClusterAsync(CollectionName collection, long clusterId, AuditActor? actor = null, CancellationToken ct = default) =>
        InCollectionTransactionAsync(collection, async (connection, transaction, token) =>
        {
            if (await FindClusterAsync(connection, transaction, collection, clusterId, token) is null) return (0, null);
            await using var delete = new NpgsqlCommand("DELETE FROM faces WHERE cluster_id = @cluster_id RETURNING face_id", connection, transaction);
            delete.Parameters.AddWithValue("cluster_id", clusterId);
            var removed = new List<Guid>();
            await using (var reader = await delete.ExecuteReaderAsync(token))
                while (await reader.ReadAsync(token)) removed.Add(reader.GetGuid(0));
            return (removed.Count, actor?.Entry(AuditActions.DeleteCluster, collection.Value, null, removed, removed.Count));
        }, ct);

    public Task<IReadOnlyList<UnnamedCode>> GetUnnamedCodesAsync(CollectionName collection, string modelId, CancellationToken ct = default)
    {
        RequireModelId(modelId);
        return PgCommands.QueryListAsync(database, """
            SELECT face_id, code, image_sha256, cluster_id FROM faces
            WHERE collection = @collection AND model_id = @model_id AND subject IS NULL AND NOT low_quality
            ORDER BY face_id
            """, command => Bind(command.Parameters, collection, modelId),
            reader => new UnnamedCode(reader.GetGuid(0), FaceRows.Code(reader, 1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetInt64(3)), ct);
    }

    public Task<ReclusterOutcome> ApplyClustersAsync(CollectionName collection, string modelId, IReadOnlyList<(Guid FaceId, int Group)> groups,
        CancellationToken ct = default)
    {
        RequireModelId(modelId);
        return InCollectionTransactionAsync(collection, async (connection, transaction, token) =>
        {
            // The faces as they are now: those named or erased since the recluster read them keep out of it.
            var current = new Dictionary<Guid, long?>();
            await using (var read = new NpgsqlCommand("""
                SELECT face_id, cluster_id FROM faces
                WHERE face_id = ANY(@ids) AND collection = @collection AND model_id = @model_id AND subject IS NULL AND NOT low_quality
                """, connection, transaction))
            {
                Bind(read.Parameters, collection, modelId);
                read.Parameters.AddWithValue("ids", groups.Select(g => g.FaceId).ToArray());
                await using var reader = await read.ExecuteReaderAsync(token);
                while (await reader.ReadAsync(token)) current[reader.GetGuid(0)] = reader.IsDBNull(1) ? null : reader.GetInt64(1);
            }
            var members = groups.Where(g => current.ContainsKey(g.FaceId)).GroupBy(g => g.Group, g => g.FaceId).ToList();

            // Each new group keeps the old cluster id that most of its faces had, largest groups choosing first; the
            // others get new clusters, made in one statement.
            var used = new HashSet<long>();
            var kept = new Dictionary<int, long>();
            foreach (var group in members.OrderByDescending(g => g.Count()))
            {
                var keep = group.Select(f => current[f]).OfType<long>().Where(id => !used.Contains(id))
                    .GroupBy(id => id).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).Select(g => (long?)g.Key).FirstOrDefault();
                if (keep is not { } id) continue;
                used.Add(id);
                kept[group.Key] = id;
            }
            var fresh = members.Where(g => !kept.ContainsKey(g.Key)).ToList();
            var made = await NewClustersAsync(connection, transaction, collection, modelId, fresh.Count, token);
            for (var i = 0; i < fresh.Count; i++) kept[fresh[i].Key] = made[i];
            var target = members.SelectMany(g => g.Select(face => (Face: face, Cluster: kept[g.Key]))).ToDictionary(t => t.Face, t => t.Cluster);
            var moves = target.Where(t => current[t.Key] != t.Value).ToList();
            if (moves.Count > 0)
            {
                await using var update = new NpgsqlCommand("""
                    UPDATE faces f SET cluster_id = m.cluster_id FROM unnest(@ids, @clusters) AS m(face_id, cluster_id) WHERE f.face_id = m.face_id
                    """, connection, transaction);
                update.Parameters.AddWithValue("ids", moves.Select(m => m.Key).ToArray());
                update.Parameters.AddWithValue("clusters", moves.Select(m => m.Value).ToArray());
                await update.ExecuteNonQueryAsync(token);
            }
            return (new ReclusterOutcome(members.Count(g => g.Count() > 1), moves.Count), (AuditEntry?)null);
        }, ct);
    }

    /// <summary>
    /// A change to the collection's people in one transaction, after the collection's advisory lock; a unique
    /// violation of the enrollment key (a subject given two faces of one photo) becomes <see cref="FaceServiceError.PhotoConflict"/>.
    /// </summary>
    private Task<T> InCollectionTransactionAsync<T>(CollectionName collection,
        Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<(T Result, AuditEntry? Audit)>> change, CancellationToken ct) =>
        PgCommands.InTransactionAsync(database, async (connection, transaction, token) =>
        {
            await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('people:' || @collection, 0))",
                             connection, transaction))
            {
                lockCommand.Parameters.AddWithValue("collection", collection.Value);
                await lockCommand.ExecuteNonQueryAsync(token);
            }
            try
            {
                return await change(connection, transaction, token);
            }
            catch (PostgresException e) when (e is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "faces_enrollment_key" })
            {
                throw new FaceServiceException(FaceServiceError.PhotoConflict,
                    "The subject already has a face of a photo this change would give it a second face of (a person is never twice in one picture); " +
                    "move that face first.", "subject", e);
            }
        }, ct);

    private static async Task<bool> PhotoIndexedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CollectionName collection, string modelId,
        string sha, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT EXISTS (SELECT 1 FROM indexed_photos WHERE collection = @collection AND model_id = @model_id AND image_sha256 = @sha)",
            connection, transaction);
        Bind(command.Parameters, collection, modelId);
        command.Parameters.AddWithValue("sha", sha);
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>
    /// The clusters nearest the face by the direction of their sum (the HNSW index, searched on past ef_search where the
    /// collection filter drops rows), with whether each holds a face of the photo.
    /// </summary>
    private static async Task<IReadOnlyList<NearbyCluster>> NearbyClustersAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        CollectionName collection, string modelId, float[] unit, string sha, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "SELECT set_config('hnsw.ef_search', '100', true), set_config('hnsw.iterative_scan', 'relaxed_order', true)"));
        var query = new NpgsqlBatchCommand("""
            SELECT c.cluster_id, c.unit_sum::real[], c.faces,
                   EXISTS (SELECT 1 FROM faces f WHERE f.cluster_id = c.cluster_id AND f.image_sha256 = @sha)
            FROM face_clusters c
            WHERE c.collection = @collection AND c.model_id = @model_id AND c.faces > 0
            ORDER BY c.unit_sum <=> (SELECT @unit::real[]::vector(128))
            LIMIT @limit
            """);
        Bind(query.Parameters, collection, modelId);
        query.Parameters.AddWithValue("sha", sha);
        query.Parameters.AddWithValue("unit", unit);
        query.Parameters.AddWithValue("limit", ClusterJoining.NearbyToFetch);
        batch.BatchCommands.Add(query);
        var clusters = new List<NearbyCluster>();
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.NextResultAsync(ct);
        while (await reader.ReadAsync(ct))
            clusters.Add(new NearbyCluster(reader.GetInt64(0), reader.GetFieldValue<float[]>(1), reader.GetInt32(2), reader.GetBoolean(3)));
        return clusters;
    }

    /// <summary>An empty cluster for a face about to be stored in it (the triggers fill in its size and sum).</summary>
    private static async Task<long> NewClusterAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CollectionName collection, string modelId,
        CancellationToken ct) =>
        (await NewClustersAsync(connection, transaction, collection, modelId, 1, ct))[0];

    /// <summary>Empty clusters, as many as asked for, in one statement.</summary>
    private static async Task<List<long>> NewClustersAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CollectionName collection,
        string modelId, int count, CancellationToken ct)
    {
        var ids = new List<long>(count);
        if (count == 0) return ids;
        await using var command = new NpgsqlCommand(
            "INSERT INTO face_clusters (collection, model_id) SELECT @collection, @model_id FROM generate_series(1, @count) RETURNING cluster_id",
            connection, transaction);
        Bind(command.Parameters, collection, modelId);
        command.Parameters.AddWithValue("count", count);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) ids.Add(reader.GetInt64(0));
        return ids;
    }

    private static async Task InsertFaceAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CollectionName collection, string modelId,
        Guid faceId, FaceToIndex face, PhotoToIndex photo, long? cluster, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO faces (face_id, collection, subject, model_id, code, embedding, box_x, box_y, box_width, box_height, score, image_sha256,
                               quality, low_quality, source, cluster_id)
            VALUES (@face_id, @collection, NULL, @model_id, @code, face_code_to_halfvec(@code), @x, @y, @width, @height, @score, @sha,
                    @quality, @low_quality, @source, @cluster_id)
            """, connection, transaction);
        Bind(command.Parameters, collection, modelId);
        command.Parameters.AddWithValue("face_id", faceId);
        command.Parameters.AddWithValue("code", FaceRows.CodeBytes(face.Code));
        command.Parameters.AddWithValue("x", face.Box.X);
        command.Parameters.AddWithValue("y", face.Box.Y);
        command.Parameters.AddWithValue("width", face.Box.Width);
        command.Parameters.AddWithValue("height", face.Box.Height);
        command.Parameters.AddWithValue("score", face.Score);
        command.Parameters.AddWithValue("sha", photo.ImageSha256);
        command.Parameters.AddWithValue("quality", face.Quality);
        command.Parameters.AddWithValue("low_quality", face.LowQuality);
        command.Parameters.Add(new NpgsqlParameter("source", NpgsqlDbType.Text) { Value = (object?)photo.Source ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("cluster_id", NpgsqlDbType.Bigint) { Value = (object?)cluster ?? DBNull.Value });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Names the faces the condition selects as the subject (they leave their clusters). Returns their ids.</summary>
    private static async Task<List<Guid>> MoveFacesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string condition, SubjectId subject,
        Action<NpgsqlCommand> bind, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"UPDATE faces SET subject = @subject, cluster_id = NULL WHERE {condition} RETURNING face_id",
            connection, transaction);
        command.Parameters.AddWithValue("subject", subject.Value);
        bind(command);
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) ids.Add(reader.GetGuid(0));
        return ids;
    }

    /// <summary>Every face of one subject to another name; <see cref="FaceServiceError.SubjectNotFound"/> if it has none.</summary>
    private static async Task<List<Guid>> MoveSubjectAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CollectionName collection,
        SubjectId subject, SubjectId to, CancellationToken ct)
    {
        var moved = await MoveFacesAsync(connection, transaction, "collection = @collection AND subject = @from", to, command =>
        {
            command.Parameters.AddWithValue("collection", collection.Value);
            command.Parameters.AddWithValue("from", subject.Value);
        }, ct);
        return moved.Count > 0 ? moved : throw FaceServiceException.SubjectNotFound(subject, collection);
    }

    private static async Task<long> CountSubjectFacesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CollectionName collection,
        SubjectId subject, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT count(*) FROM faces WHERE collection = @collection AND subject = @subject",
            connection, transaction);
        command.Parameters.AddWithValue("collection", collection.Value);
        command.Parameters.AddWithValue("subject", subject.Value);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private static async Task<(int Faces, int Version, DateTimeOffset UpdatedAt)?> FindClusterAsync(NpgsqlConnection connection,
        NpgsqlTransaction transaction, CollectionName collection, long clusterId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT faces, version, updated_at FROM face_clusters WHERE cluster_id = @cluster_id AND collection = @collection AND faces > 0",
            connection, transaction);
        command.Parameters.AddWithValue("cluster_id", clusterId);
        command.Parameters.AddWithValue("collection", collection.Value);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetInt32(0), reader.GetInt32(1), reader.GetFieldValue<DateTimeOffset>(2)) : null;
    }

    private static async Task<sbyte[]> ReadCodeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid faceId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT code FROM faces WHERE face_id = @face_id", connection, transaction);
        command.Parameters.AddWithValue("face_id", faceId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return FaceRows.Code(reader, 0);
    }

    private static async Task<List<StoredFace>> QueryFacesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string condition,
        Action<NpgsqlCommand> bind, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"SELECT {FaceRows.FaceColumns} FROM faces WHERE {condition} ORDER BY created_at, face_id",
            connection, transaction);
        bind(command);
        var faces = new List<StoredFace>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) faces.Add(FaceRows.ReadFace(reader));
        return faces;
    }

    /// <summary>The collection and model every query of a gallery is scoped by.</summary>
    private static void Bind(NpgsqlParameterCollection parameters, CollectionName collection, string modelId)
    {
        parameters.AddWithValue("collection", collection.Value);
        parameters.AddWithValue("model_id", modelId);
    }

    private static FaceServiceException ClusterNotFound(CollectionName collection, long clusterId) =>
        new(FaceServiceError.ClusterNotFound, $"Collection '{collection}' has no cluster {clusterId}.", "clusterId");
}
