using FaceService.Core.Security;
using FaceService.Core.Storage;
using Npgsql;
using NpgsqlTypes;

namespace FaceService.Storage;

/// <summary>
/// How every store talks to PostgreSQL: a pooled connection per call, taken only through the connection gate
/// (<see cref="PgConnectionGate"/>: never more calls than the pool holds), an unreachable database turned into
/// StoreUnavailableException (→ 503), and a change committed together with its audit record or not at all. A write
/// goes to the primary and records its WAL position in the request's <see cref="ConsistencyScope"/>; a read goes
/// where the scope allows (<see cref="ReadAsync{T}"/>).
/// </summary>
internal static class PgCommands
{
    /// <summary>
    /// A read. In a request marked for standby reads, on a database with standbys: a standby (if one answers) that has
    /// replayed the scope's <see cref="ConsistencyScope.ReadAfter"/>, else the primary; otherwise the primary.
    /// </summary>
    public static async Task<T> ReadAsync<T>(PgDatabase database, Func<NpgsqlConnection, CancellationToken, Task<T>> work, CancellationToken ct)
    {
        if (ConsistencyScope.Current is not { StandbyReads: true } scope || !database.HasStandbys) return await RunAsync(database.Primary, work, ct);
        try
        {
            return await RoutedReadAsync(database, scope, work, ct);
        }
        catch (StoreUnavailableException e) when (e.InnerException is { } lost && StoreErrors.IsConnectionLost(lost) && !ct.IsCancellationRequested)
        {
            // Once more, now that the failed server's pooled connections are gone: a server that went down leaves idle
            // connections in the pool that fail on first use, and Npgsql then tries the other hosts. A read has no effect to repeat.
            return await RoutedReadAsync(database, scope, work, ct);
        }
    }

    private static Task<T> RoutedReadAsync<T>(PgDatabase database, ConsistencyScope scope, Func<NpgsqlConnection, CancellationToken, Task<T>> work,
        CancellationToken ct) =>
        RunAsync(database.Reads, async (connection, token) =>
        {
            bool standby;
            NpgsqlLogSequenceNumber? replayed;
            await using (var command = new NpgsqlCommand("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()", connection))
            await using (var reader = await command.ExecuteReaderAsync(token))
            {
                await reader.ReadAsync(token);
                standby = reader.GetBoolean(0);
                replayed = reader.IsDBNull(1) ? null : reader.GetFieldValue<NpgsqlLogSequenceNumber>(1);
            }
            if (!standby || scope.ReadAfter is not { } needed || replayed >= needed)
            {
                scope.RecordRead(standby ? DatabaseRole.Standby : DatabaseRole.Primary);
                return await work(connection, token);
            }
            // The standby is behind the client's token: this read goes to the primary (still within the read's gate slot).
            await using var primary = await OpenAsync(database.Primary, token);
            scope.RecordRead(DatabaseRole.Primary);
            return await work(primary, token);
        }, ct);

    /// <summary>A write on the primary; afterwards the primary's WAL position goes into the request's scope (its consistency token).</summary>
    public static Task<T> WriteAsync<T>(PgDatabase database, Func<NpgsqlConnection, CancellationToken, Task<T>> work, CancellationToken ct) =>
        RunAsync(database.Primary, async (connection, token) =>
        {
            var result = await work(connection, token);
            if (ConsistencyScope.Current is { } scope)
            {
                await using var command = new NpgsqlCommand("SELECT pg_current_wal_lsn()", connection);
                scope.RecordWrite((NpgsqlLogSequenceNumber)(await command.ExecuteScalarAsync(token))!);
            }
            return result;
        }, ct);

    public static async Task<T> RunAsync<T>(NpgsqlDataSource dataSource, Func<NpgsqlConnection, CancellationToken, Task<T>> work, CancellationToken ct)
    {
        using var slot = await PgConnectionGate.For(dataSource).EnterAsync(ct);
        try
        {
            await using var connection = await OpenAsync(dataSource, ct);
            return await work(connection, ct);
        }
        catch (Exception e) when (StoreErrors.IsUnavailable(e) && !ct.IsCancellationRequested)
        {
            // The pool's other idle connections to a server that went away are as dead as this one: drop them all, so
            // the next calls connect afresh (to the server once it is back, or to another host).
            if (StoreErrors.IsConnectionLost(e)) dataSource.Clear();
            throw StoreErrors.Unavailable(e);
        }
    }

    /// <summary>
    /// A connection, or StoreUnavailableException when none can be had: besides network errors, a multi-host source
    /// finding no server of the role asked for ("No suitable host", the primary down while a standby answers) fails
    /// with an NpgsqlException whose inner exception is an aggregate of the hosts' errors, or none.
    /// </summary>
    private static async Task<NpgsqlConnection> OpenAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        try
        {
            return await dataSource.OpenConnectionAsync(ct);
        }
        catch (NpgsqlException e) when (e is not PostgresException && !ct.IsCancellationRequested)
        {
            throw StoreErrors.Unavailable(e);
        }
    }

    /// <summary>The rows of one query (a read), each read by <paramref name="read"/>.</summary>
    public static Task<IReadOnlyList<T>> QueryListAsync<T>(PgDatabase database, string sql, Action<NpgsqlCommand> bind,
        Func<NpgsqlDataReader, T> read, CancellationToken ct) =>
        ReadAsync(database, async (connection, token) =>
        {
            await using var command = new NpgsqlCommand(sql, connection);
            bind(command);
            await using var reader = await command.ExecuteReaderAsync(token);
            var rows = new List<T>();
            while (await reader.ReadAsync(token)) rows.Add(read(reader));
            return (IReadOnlyList<T>)rows;
        }, ct);

    /// <summary>A change and its audit record (if any) in one transaction: both are committed or neither is.</summary>
    public static Task<T> InTransactionAsync<T>(PgDatabase database,
        Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<(T Result, AuditEntry? Audit)>> change, CancellationToken ct) =>
        WriteAsync(database, async (connection, token) =>
        {
            await using var transaction = await connection.BeginTransactionAsync(token);
            var (result, audit) = await change(connection, transaction, token);
            if (audit is not null) await AuditRows.InsertAsync(connection, transaction, audit, token);
            await transaction.CommitAsync(token);
            return result;
        }, ct);

    /// <summary>A DELETE and, when it removed rows, the audit record <paramref name="describe"/> makes of their count.</summary>
    public static Task<int> DeleteAsync(PgDatabase database, string sql, Action<NpgsqlCommand> bind, Func<int, AuditEntry?> describe,
        CancellationToken ct) =>
        InTransactionAsync(database, async (connection, transaction, token) =>
        {
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            bind(command);
            var removed = await command.ExecuteNonQueryAsync(token);
            return (removed, removed > 0 ? describe(removed) : null);
        }, ct);
}
