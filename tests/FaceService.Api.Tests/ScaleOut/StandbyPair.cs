using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using NpgsqlTypes;

namespace FaceService.Api.Tests.ScaleOut;

/// <summary>
/// A PostgreSQL 15 primary and its streaming hot standby of this test's own (tests/scale/standby-pair.sh): made from
/// scratch on two free ports, stopped and started at will, removed on dispose.
/// </summary>
public sealed class StandbyPair : IAsyncDisposable
{
    private static readonly string Script = Path.Combine(RepoPaths.Root, "tests", "scale", "standby-pair.sh");

    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"faceservice-standby-{Guid.NewGuid():N}");

    private StandbyPair(int primaryPort, int standbyPort) => (PrimaryPort, StandbyPort) = (primaryPort, standbyPort);

    public int PrimaryPort { get; }
    public int StandbyPort { get; }

    /// <summary>The service's multi-host connection string: primary first; a host that was down is tried again after a second.</summary>
    public string ServiceConnectionString =>
        $"Host=127.0.0.1:{PrimaryPort},127.0.0.1:{StandbyPort};Database=faceservice;Username=faceservice;Password=faceservice;Host Recheck Seconds=1;Timeout=5";

    public static async Task<StandbyPair> CreateAsync()
    {
        var pair = new StandbyPair(FreePort(), FreePort());
        await RunAsync("up", pair._directory, pair.PrimaryPort.ToString(), pair.StandbyPort.ToString());
        return pair;
    }

    public Task StopAsync(string server) => RunAsync("stop", _directory, server);

    public Task StartAsync(string server) => RunAsync("start", _directory, server);

    /// <summary>A connection to the standby, for asking it directly how far it has replayed.</summary>
    public async Task<NpgsqlConnection> OpenStandbyAsync()
    {
        var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={StandbyPort};Database=faceservice;Username=faceservice;Pooling=false");
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>The standby's own word: in recovery, and how far it has replayed.</summary>
    public static async Task<(bool InRecovery, NpgsqlLogSequenceNumber Replayed)> StandbyStateAsync(NpgsqlConnection standby)
    {
        await using var command = new NpgsqlCommand("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()", standby);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetBoolean(0), reader.GetFieldValue<NpgsqlLogSequenceNumber>(1));
    }

    /// <summary>Holds the standby's replay (it keeps receiving WAL) until <see cref="ResumeReplayAsync"/>: a standby that lags.</summary>
    public Task PauseReplayAsync() => OnStandbyAsSuperuserAsync("SELECT pg_wal_replay_pause()");

    public Task ResumeReplayAsync() => OnStandbyAsSuperuserAsync("SELECT pg_wal_replay_resume()");

    private async Task OnStandbyAsSuperuserAsync(string sql)
    {
        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={StandbyPort};Database=faceservice;Username=postgres;Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync() => await RunAsync("down", _directory);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Script);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"standby-pair.sh {string.Join(' ', arguments)} failed ({process.ExitCode}):\n{await output}\n{await errors}");
    }
}
