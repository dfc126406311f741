using FaceService.Core.Security;
using Npgsql;

namespace FaceService.Storage;

/// <summary>
/// How every store talks to PostgreSQL: a pooled connection per call, taken only through the connection gate
/// (<see cref="PgConnectionGate"/>: never more calls than the pool holds), an unreachable database turned into
/// StoreUnavailableException (→ 503), and a change committed together with its audit record or not at all.
/// </summary>
internal static class PgCommands
{
    public static async Task<T> RunAsync<T>(NpgsqlDataSource dataSource, Func<NpgsqlConnection, CancellationToken, Task<T>> work, CancellationToken ct)
    {
        using var slot = await PgConnectionGate.For(dataSource).EnterAsync(ct);
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

    /// <summary>The rows of one query, each read by <paramref name="read"/>.</summary>
    public static Task<IReadOnlyList<T>> QueryListAsync<T>(NpgsqlDataSource dataSource, string sql, Action<NpgsqlCommand> bind,
        Func<NpgsqlDataReader, T> read, CancellationToken ct) =>
        RunAsync(dataSource, async (connection, token) =>
        {
            await using var command = new NpgsqlCommand(sql, connection);
            bind(command);
            await using var reader = await command.ExecuteReaderAsync(token);
            var rows = new List<T>();
            while (await reader.ReadAsync(token)) rows.Add(read(reader));
            return (IReadOnlyList<T>)rows;
        }, ct);

    /// <summary>A change and its audit record (if any) in one transaction: both are committed or neither is.</summary>
    public static Task<T> InTransactionAsync<T>(NpgsqlDataSource dataSource,
        Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<(T Result, AuditEntry? Audit)>> change, CancellationToken ct) =>
        RunAsync(dataSource, async (connection, token) =>
        {
            await using var transaction = await connection.BeginTransactionAsync(token);
            var (result, audit) = await change(connection, transaction, token);
            if (audit is not null) await AuditRows.InsertAsync(connection, transaction, audit, token);
            await transaction.CommitAsync(token);
            return result;
        }, ct);

    /// <summary>A DELETE and, when it removed rows, the audit record <paramref name="describe"/> makes of their count.</summary>
    public static Task<int> DeleteAsync(NpgsqlDataSource dataSource, string sql, Action<NpgsqlCommand> bind, Func<int, AuditEntry?> describe,
        CancellationToken ct) =>
        InTransactionAsync(dataSource, async (connection, transaction, token) =>
        {
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            bind(command);
            var removed = await command.ExecuteNonQueryAsync(token);
            return (removed, removed > 0 ? describe(removed) : null);
        }, ct);
}
