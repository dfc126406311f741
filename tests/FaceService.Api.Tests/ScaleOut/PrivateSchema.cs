using FaceService.Api.Tests.Infrastructure;
using Npgsql;

namespace FaceService.Api.Tests.ScaleOut;

/// <summary>
/// An empty schema of its own in the test database, dropped on dispose: replicas pointed at it (search_path: the schema,
/// then public for the vector extension) migrate it from nothing and see no other test's rows.
/// </summary>
public sealed class PrivateSchema : IAsyncDisposable
{
    private PrivateSchema(string name) => Name = name;

    public string Name { get; }

    /// <summary>The test database's connection string with this schema first on the search path.</summary>
    public string ConnectionString =>
        new NpgsqlConnectionStringBuilder(ApiFactory.ConnectionString) { SearchPath = $"{Name}, public" }.ConnectionString;

    public static async Task<PrivateSchema> CreateAsync(string prefix)
    {
        var schema = new PrivateSchema($"{prefix}_{Guid.NewGuid():N}");
        await ExecuteAsync($"CREATE SCHEMA {schema.Name}");
        return schema;
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await ExecuteAsync($"DROP SCHEMA IF EXISTS {Name} CASCADE");
        }
        catch (NpgsqlException)
        {
            // The database went away during the test: that failure is the one to report, not this clean-up's.
        }
    }

    private static async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ApiFactory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
