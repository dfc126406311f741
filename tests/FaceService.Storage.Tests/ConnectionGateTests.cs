using System.Diagnostics;
using FaceService.Core.Storage;
using Npgsql;

namespace FaceService.Storage.Tests;

/// <summary>More calls than the pool holds are shed at once (StoreOverloadedException), never left to time out inside the pool.</summary>
public sealed class ConnectionGateTests
{
    [Fact]
    public async Task Calls_beyond_the_pool_are_shed_within_a_second_and_the_waiting_ones_complete()
    {
        // A pool of 4: the gate lets 4 - 2 reserved = 2 calls through at once.
        await using var schema = await IsolatedSchema.CreateAsync();
        await schema.Migrator.MigrateAsync();
        var small = new NpgsqlConnectionStringBuilder(schema.Options.ConnectionString) { MaxPoolSize = 4, Timeout = 15 };
        await using var dataSource = ServiceCollectionExtensions.CreateDataSource(TestDatabase.Options(small.ConnectionString));
        var store = new PgFaceStore(new PgDatabase(dataSource), schema.Search);

        // Two calls that hold their connections: they wait on a lock taken outside the gate.
        await using var locker = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(small.ConnectionString) { Pooling = false }.ConnectionString);
        await locker.OpenAsync();
        await using var transaction = await locker.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand("LOCK TABLE faces IN ACCESS EXCLUSIVE MODE", locker, transaction))
            await command.ExecuteNonQueryAsync();
        var held = Enumerable.Range(0, 2).Select(_ => store.ListCollectionsAsync()).ToList();
        await Task.Delay(300);

        var clock = Stopwatch.StartNew();
        var shed = await Assert.ThrowsAsync<StoreOverloadedException>(() => store.ListCollectionsAsync());
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.9, 3);
        Assert.Contains("connections are busy", shed.Message);

        await transaction.RollbackAsync();
        foreach (var call in held) Assert.NotNull(await call);
        Assert.NotNull(await store.ListCollectionsAsync());
    }
}
