using System.Runtime.CompilerServices;
using FaceService.Core.Storage;
using Npgsql;

namespace FaceService.Storage;

/// <summary>
/// At most as many database calls at once as the data source's pool holds (its Maximum Pool Size, Npgsql's default
/// 100), less a few for the migrator and health checks. A call beyond that waits here briefly, then fails with
/// <see cref="StoreOverloadedException"/> (503 overloaded, Retry-After): a flood of requests is shed quickly instead of
/// queueing inside the pool, where each would wait the pool's full timeout (15 s) and then fail as an outage.
/// </summary>
internal sealed class PgConnectionGate
{
    /// <summary>Connections the gate leaves to work outside it (migrations, health checks on their own connections).</summary>
    public const int Reserved = 2;

    /// <summary>How long a call waits for a free connection before it is shed: a burst is smoothed, a flood refused.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(1);

    private static readonly ConditionalWeakTable<NpgsqlDataSource, PgConnectionGate> Gates = new();

    private readonly SemaphoreSlim _slots;

    private PgConnectionGate(int slots)
    {
        Slots = slots;
        _slots = new SemaphoreSlim(slots, slots);
    }

    public int Slots { get; }

    public static PgConnectionGate For(NpgsqlDataSource dataSource) =>
        Gates.GetValue(dataSource, source => new PgConnectionGate(
            Math.Max(1, new NpgsqlConnectionStringBuilder(source.ConnectionString).MaxPoolSize - Reserved)));

    /// <exception cref="StoreOverloadedException">No connection came free within <see cref="MaxWait"/>.</exception>
    public async Task<IDisposable> EnterAsync(CancellationToken ct)
    {
        if (!await _slots.WaitAsync(MaxWait, ct))
            throw new StoreOverloadedException($"All {Slots} database connections are busy; the request was not queued behind them.");
        return new Slot(_slots);
    }

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) slots.Release();
        }
    }
}
