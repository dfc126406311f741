using FaceService.Core.Security;
using Npgsql;
using NpgsqlTypes;

namespace FaceService.Storage;

/// <summary><see cref="IApiKeyStore"/> on PostgreSQL: the api_keys table (migration 0002).</summary>
public sealed class PgApiKeyStore(PgDatabase database) : IApiKeyStore
{
    private const string KeyColumns = "key_id, name, role, collections, created_at, created_by, revoked_at, expires_at, requests_per_minute";

    public Task CreateAsync(ApiKey key, byte[] keySha256, AuditActor actor, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(actor);
        if (keySha256.Length != 32) throw new ArgumentException("A SHA-256 hash has 32 bytes.", nameof(keySha256));
        return PgCommands.WriteAsync(database, async (connection, token) =>
        {
            await using var transaction = await connection.BeginTransactionAsync(token);
            await InsertKeyAsync(connection, transaction, key, keySha256, actor, token);
            await transaction.CommitAsync(token);
            return 0;
        }, ct);
    }

    public Task<bool> RotateAsync(string oldKeyId, DateTimeOffset oldKeyExpiresAt, ApiKey newKey, byte[] newKeySha256, AuditActor actor,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(newKey);
        ArgumentNullException.ThrowIfNull(actor);
        return PgCommands.WriteAsync(database, async (connection, token) =>
        {
            await using var transaction = await connection.BeginTransactionAsync(token);
            ApiKeyScope scope;
            // The row lock of the UPDATE makes a concurrent rotation or revocation of the same key wait, then miss.
            await using (var command = new NpgsqlCommand("""
                UPDATE api_keys SET expires_at = @expires_at
                WHERE key_id = @key_id AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
                RETURNING role, collections
                """, connection, transaction))
            {
                command.Parameters.AddWithValue("key_id", oldKeyId);
                command.Parameters.AddWithValue("expires_at", oldKeyExpiresAt);
                await using var reader = await command.ExecuteReaderAsync(token);
                if (!await reader.ReadAsync(token)) return false;
                scope = ReadScope(reader, 0);
            }
            await AuditRows.InsertAsync(connection, transaction, actor.Entry(AuditActions.RotateKey, scope.AuditCollection, null, [], 0, oldKeyId), token);
            await InsertKeyAsync(connection, transaction, newKey, newKeySha256, actor, token);
            await transaction.CommitAsync(token);
            return true;
        }, ct);
    }

    private static async Task InsertKeyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, ApiKey key, byte[] keySha256, AuditActor actor,
        CancellationToken ct)
    {
        if (keySha256.Length != 32) throw new ArgumentException("A SHA-256 hash has 32 bytes.", nameof(keySha256));
        await using (var command = new NpgsqlCommand(
            $"INSERT INTO api_keys ({KeyColumns}, key_sha256) " +
            "VALUES (@key_id, @name, @role, @collections, @created_at, @created_by, NULL, @expires_at, @requests_per_minute, @key_sha256)",
            connection, transaction))
        {
            command.Parameters.AddWithValue("key_id", key.KeyId);
            command.Parameters.AddWithValue("name", key.Name);
            command.Parameters.AddWithValue("role", ApiKeyScope.RoleName(key.Scope.Role));
            command.Parameters.AddWithValue("collections", key.Scope.Collections.ToArray());
            command.Parameters.AddWithValue("created_at", key.CreatedAt);
            command.Parameters.AddWithValue("created_by", key.CreatedBy);
            command.Parameters.Add(new NpgsqlParameter("expires_at", NpgsqlDbType.TimestampTz) { Value = (object?)key.ExpiresAt ?? DBNull.Value });
            command.Parameters.AddWithValue("requests_per_minute", key.RequestsPerMinute);
            command.Parameters.AddWithValue("key_sha256", keySha256);
            await command.ExecuteNonQueryAsync(ct);
        }
        await AuditRows.InsertAsync(connection, transaction, actor.Entry(AuditActions.CreateKey, key.Scope.AuditCollection, null, [], 0, key.KeyId), ct);
    }

    public Task<ApiKeyCredential?> FindAsync(string keyId, CancellationToken ct = default) =>
        PgCommands.RunAsync(database.Lookups, async (connection, token) =>
        {
            await using var command = new NpgsqlCommand($"SELECT {KeyColumns}, key_sha256 FROM api_keys WHERE key_id = @key_id", connection);
            command.Parameters.AddWithValue("key_id", keyId);
            await using var reader = await command.ExecuteReaderAsync(token);
            return await reader.ReadAsync(token) ? new ApiKeyCredential(ReadKey(reader), reader.GetFieldValue<byte[]>(9)) : null;
        }, ct);

    public Task<IReadOnlyList<ApiKey>> ListAsync(CancellationToken ct = default) =>
        PgCommands.ReadAsync(database, async (connection, token) =>
        {
            await using var command = new NpgsqlCommand($"SELECT {KeyColumns} FROM api_keys ORDER BY created_at DESC, key_id", connection);
            await using var reader = await command.ExecuteReaderAsync(token);
            var keys = new List<ApiKey>();
            while (await reader.ReadAsync(token)) keys.Add(ReadKey(reader));
            return (IReadOnlyList<ApiKey>)keys;
        }, ct);

    public Task<bool> RevokeAsync(string keyId, AuditActor actor, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return PgCommands.WriteAsync(database, async (connection, token) =>
        {
            await using var transaction = await connection.BeginTransactionAsync(token);
            ApiKeyScope scope;
            await using (var command = new NpgsqlCommand(
                "UPDATE api_keys SET revoked_at = now() WHERE key_id = @key_id AND revoked_at IS NULL RETURNING role, collections", connection, transaction))
            {
                command.Parameters.AddWithValue("key_id", keyId);
                await using var reader = await command.ExecuteReaderAsync(token);
                if (!await reader.ReadAsync(token)) return false;
                scope = ReadScope(reader, 0);
            }
            await AuditRows.InsertAsync(connection, transaction, actor.Entry(AuditActions.RevokeKey, scope.AuditCollection, null, [], 0, keyId), token);
            await transaction.CommitAsync(token);
            return true;
        }, ct);
    }

    private static ApiKey ReadKey(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), ReadScope(r, 2),
        r.GetFieldValue<DateTimeOffset>(4), r.GetString(5), r.IsDBNull(6) ? null : r.GetFieldValue<DateTimeOffset>(6),
        r.IsDBNull(7) ? null : r.GetFieldValue<DateTimeOffset>(7), r.GetInt32(8));

    private static ApiKeyScope ReadScope(NpgsqlDataReader r, int roleOrdinal) =>
        new(Enum.Parse<ApiKeyRole>(r.GetString(roleOrdinal), ignoreCase: true), r.GetFieldValue<string[]>(roleOrdinal + 1));
}

/// <summary><see cref="IAuditLog"/> on PostgreSQL: the append-only audit_log table (migration 0002), written by <see cref="AuditRows"/>.</summary>
public sealed class PgAuditLog(PgDatabase database) : IAuditLog
{

    public Task<IReadOnlyList<AuditRecord>> QueryAsync(IReadOnlyCollection<string>? collections, int limit, CancellationToken ct = default)
    {
        if (limit is < 1 or > AuditService.MaxLimit) throw new ArgumentOutOfRangeException(nameof(limit), limit, $"limit is 1..{AuditService.MaxLimit}.");
        return PgCommands.ReadAsync(database, async (connection, token) =>
        {
            await using var command = new NpgsqlCommand($"""
                SELECT audit_id, at, action, actor_key_id, actor_name, collection, subject, face_ids, face_count, target_key_id, request_id, from_subject
                FROM audit_log {(collections is null ? "" : "WHERE collection = ANY(@collections)")}
                ORDER BY audit_id DESC LIMIT @limit
                """, connection);
            if (collections is not null) command.Parameters.AddWithValue("collections", collections.ToArray());
            command.Parameters.AddWithValue("limit", limit);
            await using var reader = await command.ExecuteReaderAsync(token);
            var records = new List<AuditRecord>();
            while (await reader.ReadAsync(token))
                records.Add(new AuditRecord(reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1), new AuditEntry(
                    reader.GetString(2), reader.GetString(3), reader.GetString(4), NullableString(reader, 5), NullableString(reader, 6),
                    reader.GetFieldValue<Guid[]>(7), reader.GetInt32(8), NullableString(reader, 9), NullableString(reader, 10),
                    NullableString(reader, 11))));
            return (IReadOnlyList<AuditRecord>)records;
        }, ct);
    }

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}

/// <summary>Writes audit records inside the transaction of the change they describe.</summary>
internal static class AuditRows
{
    public static async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AuditEntry entry, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO audit_log (action, actor_key_id, actor_name, collection, subject, face_ids, face_count, target_key_id, request_id, from_subject)
            VALUES (@action, @actor_key_id, @actor_name, @collection, @subject, @face_ids, @face_count, @target_key_id, @request_id, @from_subject)
            """, connection, transaction);
        command.Parameters.AddWithValue("action", entry.Action);
        command.Parameters.AddWithValue("actor_key_id", entry.ActorKeyId);
        command.Parameters.AddWithValue("actor_name", entry.ActorName);
        command.Parameters.Add(new NpgsqlParameter("collection", NpgsqlDbType.Text) { Value = (object?)entry.Collection ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("subject", NpgsqlDbType.Text) { Value = (object?)entry.Subject ?? DBNull.Value });
        command.Parameters.AddWithValue("face_ids", entry.FaceIds.ToArray());
        command.Parameters.AddWithValue("face_count", entry.FaceCount);
        command.Parameters.Add(new NpgsqlParameter("target_key_id", NpgsqlDbType.Text) { Value = (object?)entry.TargetKeyId ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("request_id", NpgsqlDbType.Text) { Value = (object?)entry.RequestId ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("from_subject", NpgsqlDbType.Text) { Value = (object?)entry.FromSubject ?? DBNull.Value });
        await command.ExecuteNonQueryAsync(ct);
    }
}
