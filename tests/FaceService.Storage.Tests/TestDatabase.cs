using FaceService.Core.Embeddings;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace FaceService.Storage.Tests;

/// <summary>The real PostgreSQL + pgvector set up by scripts/setup.sh (deploy/db); override with FACESERVICE_TEST_DB.</summary>
public static class TestDatabase
{
    public static string ConnectionString => TestDb.ConnectionString;

    public static StorageOptions Options(string connectionString) => new() { ConnectionString = connectionString };
}

/// <summary>
/// A schema of its own in the test database (search_path: the schema, then public for the vector extension), dropped on
/// dispose, so tests that need an empty or private schema do not see each other's tables.
/// </summary>
public sealed class IsolatedSchema : IAsyncDisposable
{
    /// <summary>The in-process graphs this schema's search uses: none unless a test builds them.</summary>
    public SubjectGraphs Graphs { get; } = new();

    private IsolatedSchema(string name, NpgsqlDataSource dataSource, StorageOptions options)
    {
        Name = name;
        DataSource = dataSource;
        Database = new PgDatabase(dataSource);
        Options = options;
        Migrator = new DatabaseMigrator(dataSource, Microsoft.Extensions.Options.Options.Create(options), NullLogger<DatabaseMigrator>.Instance);
        Search = new PgFaceSearch(Database, new EmbeddingQuantizer(), Microsoft.Extensions.Options.Options.Create(options), Graphs);
        Store = new PgFaceStore(Database, Search);
        BulkLoader = new PgFaceBulkLoader(Database);
    }

    public string Name { get; }
    public NpgsqlDataSource DataSource { get; }
    public PgDatabase Database { get; }
    public StorageOptions Options { get; }
    public DatabaseMigrator Migrator { get; }
    public PgFaceStore Store { get; }
    public PgFaceSearch Search { get; }
    public PgFaceBulkLoader BulkLoader { get; }

    public static async Task<IsolatedSchema> CreateAsync(Action<StorageOptions>? configure = null)
    {
        var name = "test_" + Guid.NewGuid().ToString("N");
        await using (var admin = new NpgsqlConnection(TestDatabase.ConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE SCHEMA {name}", admin);
            await create.ExecuteNonQueryAsync();
        }
        var connection = new NpgsqlConnectionStringBuilder(TestDatabase.ConnectionString) { SearchPath = $"{name}, public" };
        var options = TestDatabase.Options(connection.ConnectionString);
        configure?.Invoke(options);
        return new IsolatedSchema(name, ServiceCollectionExtensions.CreateDataSource(options), options);
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await using var admin = new NpgsqlConnection(TestDatabase.ConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP SCHEMA {Name} CASCADE", admin);
        await drop.ExecuteNonQueryAsync();
    }
}

/// <summary>One migrated schema shared by the store tests; each test works in collections of its own.</summary>
public sealed class StoreFixture : IAsyncLifetime
{
    public IsolatedSchema Schema { get; private set; } = null!;
    public PgFaceStore Store => Schema.Store;
    public PgFaceBulkLoader BulkLoader => Schema.BulkLoader;

    public async Task InitializeAsync()
    {
        Schema = await IsolatedSchema.CreateAsync();
        await Schema.Migrator.MigrateAsync();
    }

    public async Task DisposeAsync() => await Schema.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class StoreCollection : ICollectionFixture<StoreFixture>
{
    public const string Name = "store";
}
