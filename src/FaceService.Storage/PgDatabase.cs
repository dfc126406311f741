using Npgsql;
using NpgsqlTypes;

namespace FaceService.Storage;

/// <summary>
/// The PostgreSQL servers behind ConnectionStrings:FaceStore. With one host every call goes to it. With several
/// (Npgsql's multi-host string, <c>Host=primary:5432,standby1:5432,…</c>) the roles are found by Npgsql at connect time:
/// writes, and every read outside a request marked for standby reads, go to the primary (<see cref="Primary"/>); reads
/// of such requests prefer a hot standby (<see cref="Reads"/>, falling back to the primary when none answers); API-key
/// lookups prefer the primary but fall back to a standby (<see cref="Lookups"/>), so a revocation holds at once while
/// the primary is up and reads keep being authorised while it is down.
/// </summary>
public sealed class PgDatabase : IDisposable
{
    private readonly NpgsqlDataSource _owned;
    private readonly NpgsqlDataSource[] _hosts;

    /// <summary>One server for everything (tests, tools, a single-host connection string).</summary>
    public PgDatabase(NpgsqlDataSource dataSource)
    {
        _owned = dataSource;
        Primary = Reads = Lookups = dataSource;
        _hosts = [];
    }

    private PgDatabase(NpgsqlMultiHostDataSource multiHost, NpgsqlDataSource[] hosts)
    {
        _owned = multiHost;
        Primary = multiHost.WithTargetSession(TargetSessionAttributes.Primary);
        Reads = multiHost.WithTargetSession(TargetSessionAttributes.PreferStandby);
        Lookups = multiHost.WithTargetSession(TargetSessionAttributes.PreferPrimary);
        _hosts = hosts;
    }

    public static PgDatabase Create(StorageOptions options)
    {
        var builder = Builder(options.ConnectionString!, options);
        var hosts = builder.ConnectionStringBuilder.Host?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [];
        if (hosts.Length < 2) return new PgDatabase(builder.Build());
        var perHost = hosts.Select(host =>
        {
            var single = Builder(options.ConnectionString!, options);
            single.ConnectionStringBuilder.Host = host;
            // A probe of a host that is down should not hold a readiness check for the full connect timeout.
            single.ConnectionStringBuilder.Timeout = Math.Min(single.ConnectionStringBuilder.Timeout, 5);
            single.ConnectionStringBuilder.Pooling = false;
            return single.Build();
        }).ToArray();
        return new PgDatabase(builder.BuildMultiHost(), perHost);
    }

    internal static NpgsqlDataSourceBuilder Builder(string connectionString, StorageOptions options)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.CommandTimeout = options.CommandTimeoutSeconds;
        builder.ConnectionStringBuilder.ApplicationName ??= "FaceService";
        return builder;
    }

    /// <summary>Writes, migrations, background jobs and the reads of requests not marked for standby reads.</summary>
    public NpgsqlDataSource Primary { get; }

    /// <summary>Reads of requests marked for standby reads: a standby if one answers, else the primary.</summary>
    internal NpgsqlDataSource Reads { get; }

    /// <summary>API-key lookups: the primary if it answers, else a standby.</summary>
    internal NpgsqlDataSource Lookups { get; }

    /// <summary>Whether the connection string names more than one host (the service then routes reads and hands out consistency tokens).</summary>
    public bool HasStandbys => _hosts.Length > 0;

    /// <summary>
    /// Each host of a multi-host string: its role, replay position and schema (for readiness); never throws for a
    /// host that is down. Empty with one host.
    /// </summary>
    public async Task<IReadOnlyList<HostState>> CheckHostsAsync(Func<NpgsqlDataSource, CancellationToken, Task<StorageReadiness>> schema,
        CancellationToken ct) =>
        await Task.WhenAll(_hosts.Select(async source =>
        {
            var settings = new NpgsqlConnectionStringBuilder(source.ConnectionString);
            var host = $"{settings.Host}:{settings.Port}";
            try
            {
                await using var connection = await source.OpenConnectionAsync(ct);
                await using var command = new NpgsqlCommand("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn(), now() - pg_last_xact_replay_timestamp()", connection);
                await using var reader = await command.ExecuteReaderAsync(ct);
                await reader.ReadAsync(ct);
                var standby = reader.GetBoolean(0);
                NpgsqlLogSequenceNumber? replayed = reader.IsDBNull(1) ? null : reader.GetFieldValue<NpgsqlLogSequenceNumber>(1);
                TimeSpan? sinceLastReplay = reader.IsDBNull(2) ? null : reader.GetTimeSpan(2);
                await reader.DisposeAsync();
                return new HostState(host, true, standby ? DatabaseRole.Standby : DatabaseRole.Primary, replayed, sinceLastReplay,
                    await schema(source, ct), null);
            }
            catch (Exception e) when (StoreErrors.IsUnavailable(e) && !ct.IsCancellationRequested)
            {
                return new HostState(host, false, null, null, null, null, e.Message);
            }
        }));

    public void Dispose()
    {
        _owned.Dispose();
        foreach (var host in _hosts) host.Dispose();
    }
}

public enum DatabaseRole
{
    Primary,
    Standby,
}

/// <summary>One host of the connection string as a readiness check saw it.</summary>
/// <param name="SinceLastReplay">On a standby: time since the last transaction it replayed was committed (a lag bound while the primary writes).</param>
public sealed record HostState(string Host, bool Reachable, DatabaseRole? Role, NpgsqlLogSequenceNumber? Replayed, TimeSpan? SinceLastReplay,
    StorageReadiness? Schema, string? Error);
