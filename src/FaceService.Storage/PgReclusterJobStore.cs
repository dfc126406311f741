using FaceService.Core.Naming;
using FaceService.Core.Services;
using FaceService.Core.Storage;
using Npgsql;
using NpgsqlTypes;

namespace FaceService.Storage;

/// <summary><see cref="IReclusterJobStore"/> on the recluster_jobs table (migration 0009).</summary>
public sealed class PgReclusterJobStore(PgDatabase database) : IReclusterJobStore
{
    private const string Columns = "job_id, collection, model_id, state, stage, progress, attempts, cancel_requested, faces, faces_left_out, " +
                                   "clusters, faces_moved, error, created_at, started_at, finished_at, gallery_faces, requested_by";

    public Task<ReclusterJob> CreateAsync(CollectionName collection, string modelId, string requestedBy, CancellationToken ct = default) =>
        PgCommands.WriteAsync(database, async (connection, token) =>
        {
            await using var command = new NpgsqlCommand($"""
                INSERT INTO recluster_jobs (job_id, collection, model_id, state, requested_by, gallery_faces)
                VALUES (@job_id, @collection, @model_id, 'queued', @by,
                        coalesce((SELECT faces FROM gallery_sizes WHERE collection = @collection AND model_id = @model_id), 0))
                ON CONFLICT (collection, model_id) WHERE state IN ('queued', 'running') DO NOTHING
                RETURNING {Columns}
                """, connection);
            command.Parameters.AddWithValue("job_id", Guid.CreateVersion7());
            command.Parameters.AddWithValue("collection", collection.Value);
            command.Parameters.AddWithValue("model_id", modelId);
            command.Parameters.AddWithValue("by", requestedBy);
            var created = await ReadAllAsync(command, token);
            if (created.Count == 1) return created[0];
            var active = (await ListAsync(connection, "collection = @collection AND model_id = @model_id AND state IN ('queued', 'running')", 1, c =>
            {
                c.Parameters.AddWithValue("collection", collection.Value);
                c.Parameters.AddWithValue("model_id", modelId);
            }, token)).FirstOrDefault();
            throw new FaceServiceException(FaceServiceError.JobRunning,
                $"Collection '{collection}' has recluster job {active?.JobId} {active?.State.ToString().ToLowerInvariant()}; wait for it or cancel it.", "collection");
        }, ct);

    public async Task<ReclusterJob?> GetAsync(Guid jobId, CancellationToken ct = default) =>
        (await PgCommands.ReadAsync(database, (connection, token) =>
            ListAsync(connection, "job_id = @job_id", 1, c => c.Parameters.AddWithValue("job_id", jobId), token), ct)).FirstOrDefault();

    public Task<IReadOnlyList<ReclusterJob>> ListAsync(CollectionName collection, int limit, CancellationToken ct = default) =>
        PgCommands.ReadAsync(database, (connection, token) =>
            ListAsync(connection, "collection = @collection", limit, c => c.Parameters.AddWithValue("collection", collection.Value), token), ct);

    public async Task<ReclusterJob?> RequestCancelAsync(Guid jobId, CancellationToken ct = default) =>
        (await PgCommands.WriteAsync(database, async (connection, token) =>
        {
            await using var command = new NpgsqlCommand($"""
                UPDATE recluster_jobs SET
                    cancel_requested = state IN ('queued', 'running'),
                    state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE state END,
                    stage = CASE WHEN state = 'queued' THEN 'cancelled' ELSE stage END,
                    finished_at = CASE WHEN state = 'queued' THEN now() ELSE finished_at END
                WHERE job_id = @job_id
                RETURNING {Columns}
                """, connection);
            command.Parameters.AddWithValue("job_id", jobId);
            return await ReadAllAsync(command, token);
        }, ct)).FirstOrDefault();

    public Task<ReclusterJob?> ClaimAsync(TimeSpan staleAfter, int maxAttempts, CancellationToken ct = default) =>
        PgCommands.WriteAsync(database, async (connection, token) =>
        {
            await using var transaction = await connection.BeginTransactionAsync(token);
            // A job whose runner stopped more than maxAttempts times is not taken up again: it fails, and says why.
            await using (var give = new NpgsqlCommand("""
                UPDATE recluster_jobs SET state = 'failed', stage = 'failed', finished_at = now(),
                    error = format('stopped %s times without finishing (its process ended each time)', attempts)
                WHERE state = 'running' AND heartbeat_at < now() - @stale AND attempts >= @max_attempts
                """, connection, transaction))
            {
                give.Parameters.AddWithValue("stale", staleAfter);
                give.Parameters.AddWithValue("max_attempts", maxAttempts);
                await give.ExecuteNonQueryAsync(token);
            }
            await using var claim = new NpgsqlCommand($"""
                UPDATE recluster_jobs SET state = 'running', stage = 'starting', progress = 0, attempts = attempts + 1,
                    started_at = coalesce(started_at, now()), heartbeat_at = now()
                WHERE job_id = (SELECT job_id FROM recluster_jobs
                                WHERE (state = 'queued' OR (state = 'running' AND heartbeat_at < now() - @stale)) AND NOT cancel_requested
                                ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING {Columns}
                """, connection, transaction);
            claim.Parameters.AddWithValue("stale", staleAfter);
            var claimed = await ReadAllAsync(claim, token);
            await transaction.CommitAsync(token);
            return claimed.FirstOrDefault();
        }, ct);

    public Task<bool> ReportAsync(Guid jobId, string stage, float progress, CancellationToken ct = default) =>
        PgCommands.WriteAsync(database, async (connection, token) =>
        {
            await using var command = new NpgsqlCommand("""
                UPDATE recluster_jobs SET stage = @stage, progress = @progress, heartbeat_at = now() WHERE job_id = @job_id RETURNING cancel_requested
                """, connection);
            command.Parameters.AddWithValue("job_id", jobId);
            command.Parameters.AddWithValue("stage", stage);
            command.Parameters.AddWithValue("progress", Math.Clamp(progress, 0f, 1f));
            return await command.ExecuteScalarAsync(token) is true;
        }, ct);

    public Task FinishAsync(Guid jobId, ReclusterJobResult result, CancellationToken ct = default) =>
        PgCommands.WriteAsync(database, async (connection, token) =>
        {
            await using var command = new NpgsqlCommand("""
                UPDATE recluster_jobs SET state = @state, stage = @state, progress = CASE WHEN @state = 'succeeded' THEN 1 ELSE progress END,
                    finished_at = now(), faces = coalesce(@faces, faces), faces_left_out = coalesce(@left_out, faces_left_out),
                    clusters = @clusters, faces_moved = @moved, error = @error
                WHERE job_id = @job_id
                """, connection);
            command.Parameters.AddWithValue("job_id", jobId);
            command.Parameters.AddWithValue("state", result.State.ToString().ToLowerInvariant());
            command.Parameters.Add(Nullable("faces", result.Faces));
            command.Parameters.Add(Nullable("left_out", result.FacesLeftOut));
            command.Parameters.Add(Nullable("clusters", result.Clusters));
            command.Parameters.Add(Nullable("moved", result.FacesMoved));
            command.Parameters.Add(new NpgsqlParameter("error", NpgsqlDbType.Text) { Value = (object?)result.Error ?? DBNull.Value });
            return await command.ExecuteNonQueryAsync(token);
        }, ct);

    private static NpgsqlParameter Nullable(string name, int? value) => new(name, NpgsqlDbType.Integer) { Value = (object?)value ?? DBNull.Value };

    private static async Task<IReadOnlyList<ReclusterJob>> ListAsync(NpgsqlConnection connection, string condition, int limit, Action<NpgsqlCommand> bind,
        CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"SELECT {Columns} FROM recluster_jobs WHERE {condition} ORDER BY created_at DESC LIMIT @limit", connection);
        bind(command);
        command.Parameters.AddWithValue("limit", limit);
        return await ReadAllAsync(command, ct);
    }

    private static async Task<IReadOnlyList<ReclusterJob>> ReadAllAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var jobs = new List<ReclusterJob>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            jobs.Add(new ReclusterJob(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), Enum.Parse<JobState>(reader.GetString(3), ignoreCase: true),
                reader.GetString(4), reader.GetFloat(5), reader.GetInt32(6), reader.GetBoolean(7), NullableInt(reader, 8), NullableInt(reader, 9),
                NullableInt(reader, 10), NullableInt(reader, 11), reader.IsDBNull(12) ? null : reader.GetString(12), reader.GetFieldValue<DateTimeOffset>(13),
                NullableTime(reader, 14), NullableTime(reader, 15), reader.GetInt64(16), reader.GetString(17)));
        return jobs;
    }

    private static int? NullableInt(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);

    private static DateTimeOffset? NullableTime(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);
}
