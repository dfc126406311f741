using FaceService.Core.Naming;
using FaceService.Core.Embeddings;
using FaceService.Core.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FaceService.Storage.Tests;

/// <summary>A database that refuses connections (nothing listens on port 1) is reported as unavailable, not as a crash.</summary>
public sealed class UnavailableDatabaseTests : IAsyncDisposable
{
    private readonly NpgsqlDataSource dataSource;
    private readonly PgFaceStore store;
    private readonly DatabaseMigrator migrator;

    public UnavailableDatabaseTests()
    {
        var connection = new NpgsqlConnectionStringBuilder(TestDatabase.ConnectionString) { Host = "127.0.0.1", Port = 1, Timeout = 5 };
        var options = TestDatabase.Options(connection.ConnectionString);
        dataSource = ServiceCollectionExtensions.CreateDataSource(options);
        var database = new PgDatabase(dataSource);
        store = new PgFaceStore(database, new PgFaceSearch(database, new EmbeddingQuantizer(), Options.Create(options), new SubjectGraphs()));
        migrator = new DatabaseMigrator(dataSource, Options.Create(options), NullLogger<DatabaseMigrator>.Instance);
    }

    [Fact]
    public async Task Store_operations_throw_StoreUnavailableException()
    {
        var faces = new SyntheticFaces(seed: 1);
        var code = faces.CodeNear(faces.NewSubject());
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.EnrollAsync(CollectionName.Parse("c"), "m", [faces.Face("s", code)]));
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.SearchSubjectsAsync(CollectionName.Parse("c"), "m", code, 5));
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.ListCollectionsAsync());
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.DeleteSubjectAsync(CollectionName.Parse("c"), SubjectId.Parse("s")));
    }

    [Fact]
    public async Task Migrations_throw_StoreUnavailableException_and_readiness_reports_not_ready()
    {
        await Assert.ThrowsAsync<StoreUnavailableException>(() => migrator.MigrateAsync());
        var readiness = await migrator.CheckReadinessAsync();
        Assert.False(readiness.IsReady);
        Assert.StartsWith("Database unavailable", readiness.Description);
    }

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();
}
