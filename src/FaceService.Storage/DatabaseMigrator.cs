using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using FaceService.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FaceService.Storage;

/// <summary>One versioned schema change, embedded in this assembly as Migrations/NNNN_name.sql.</summary>
public sealed record SchemaMigration(int Version, string Name, string Sql, string Checksum);

/// <param name="IsReady">The database answers and every migration of this build is applied.</param>
public sealed record StorageReadiness(bool IsReady, string Description);

/// <summary>
/// Brings the schema (in the connection's current schema) up to this build: applies pending embedded migrations in
/// one transaction, records them in schema_migrations, and creates the HNSW search index (over the subjects'
/// templates) with the configured parameters. Concurrent start-ups serialise on a transaction-scoped advisory lock, so running it anywhere, any
/// number of times, is safe.
/// </summary>
public sealed partial class DatabaseMigrator(NpgsqlDataSource dataSource, IOptions<StorageOptions> options, ILogger<DatabaseMigrator> logger)
{
    /// <summary>The HNSW index identify searches: over the subjects' templates (migration 0008).</summary>
    public const string SearchIndexName = "subject_templates_embedding_hnsw";

    // Advisory lock key space (first int): ASCII "FACE"; the second int is derived from the schema name.
    private const int AdvisoryLockClass = 0x46414345;

    public static IReadOnlyList<SchemaMigration> Migrations { get; } = LoadEmbeddedMigrations();

    /// <summary>Applies what is pending; returns the number of migrations applied (0 when up to date).</summary>
    /// <exception cref="InvalidOperationException">The database holds a migration this build does not know, or an applied
    /// migration whose text has changed since.</exception>
    /// <exception cref="StoreUnavailableException">The database cannot be reached.</exception>
    public async Task<int> MigrateAsync(CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await ExecuteAsync(connection, "SELECT pg_advisory_xact_lock(@lock_class, hashtext(current_schema()))", settings,
                cancellationToken, new NpgsqlParameter("lock_class", AdvisoryLockClass));
            await ExecuteAsync(connection, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer     PRIMARY KEY,
                    name       text        NOT NULL,
                    checksum   text        NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, settings, cancellationToken);

            var applied = await ReadAppliedAsync(connection, cancellationToken);
            CheckAppliedAgainstBuild(applied);

            var pending = Migrations.Where(m => !applied.ContainsKey(m.Version)).ToList();
            // A migration reports what it changed in existing rows as notices (and what it could not, as warnings).
            connection.Notice += (_, e) => logger.Log(e.Notice.Severity is "WARNING" ? LogLevel.Warning : LogLevel.Information,
                "Migration: {Message}", e.Notice.MessageText);
            foreach (var migration in pending)
            {
                logger.LogInformation("Applying migration {Version:D4}_{Name}", migration.Version, migration.Name);
                await ExecuteAsync(connection, migration.Sql, settings, cancellationToken);
                await ExecuteAsync(connection, "INSERT INTO schema_migrations (version, name, checksum) VALUES (@version, @name, @checksum)",
                    settings, cancellationToken,
                    new NpgsqlParameter("version", migration.Version), new NpgsqlParameter("name", migration.Name),
                    new NpgsqlParameter("checksum", migration.Checksum));
            }

            await EnsureSearchIndexAsync(connection, settings, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return pending.Count;
        }
        catch (Exception e) when (StoreErrors.IsUnavailable(e) && !cancellationToken.IsCancellationRequested)
        {
            throw StoreErrors.Unavailable(e);
        }
    }

    /// <summary>For readiness probes: never throws for database problems, reports them.</summary>
    public Task<StorageReadiness> CheckReadinessAsync(CancellationToken cancellationToken = default) => CheckReadinessAsync(dataSource, cancellationToken);

    /// <summary>The same check on one server (a standby carries the primary's schema through the WAL).</summary>
    public async Task<StorageReadiness> CheckReadinessAsync(NpgsqlDataSource server, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await server.OpenConnectionAsync(cancellationToken);
            await using var exists = new NpgsqlCommand(
                "SELECT EXISTS (SELECT 1 FROM pg_class WHERE relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND relname = 'schema_migrations')",
                connection);
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!)
                return new StorageReadiness(false, "Database reachable; migrations not applied yet.");
            var applied = await ReadAppliedAsync(connection, cancellationToken);
            var missing = Migrations.Where(m => !applied.ContainsKey(m.Version)).Select(m => m.Version).ToList();
            return missing.Count == 0
                ? new StorageReadiness(true, $"Database reachable; schema at version {Migrations[^1].Version}.")
                : new StorageReadiness(false, $"Database reachable; migrations pending: {string.Join(", ", missing)}.");
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return new StorageReadiness(false, $"Database unavailable: {e.Message}");
        }
    }

    private async Task EnsureSearchIndexAsync(NpgsqlConnection connection, StorageOptions settings, CancellationToken ct)
    {
        const string index = SearchIndexName;
        await using var lookup = new NpgsqlCommand(
            "SELECT coalesce(c.reloptions, '{}') FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND c.relname = @name",
            connection);
        lookup.Parameters.AddWithValue("name", index);
        var existing = (string[]?)await lookup.ExecuteScalarAsync(ct);
        string[] wanted = [$"m={settings.HnswM}", $"ef_construction={settings.HnswEfConstruction}"];

        if (existing is null)
        {
            logger.LogInformation("Building search index {Index} (m={M}, ef_construction={EfConstruction})",
                index, settings.HnswM, settings.HnswEfConstruction);
            // Options are validated integers, so formatting them into DDL (which takes no parameters) is safe.
            await ExecuteAsync(connection, $"SET LOCAL maintenance_work_mem = '{settings.IndexBuildMemoryMb}MB'", settings, ct);
            await ExecuteAsync(connection,
                // Over the templates in half precision: half the graph's memory traffic of float32; the search re-ranks
                // its candidates exactly on the float32 templates.
                $"CREATE INDEX {index} ON subject_templates USING hnsw ((embedding::halfvec(128)) halfvec_cosine_ops) " +
                $"WITH (m = {settings.HnswM}, ef_construction = {settings.HnswEfConstruction})", settings, ct);
        }
        else if (!wanted.All(existing.Contains))
        {
            // Rebuilding a large index at start-up would block writes for minutes; leave that to the operator.
            logger.LogWarning(
                "Search index {Index} was built with {Actual}, configuration asks for {Wanted}; to rebuild, DROP INDEX {Index} and restart",
                index, string.Join(", ", existing), string.Join(", ", wanted), index);
        }
    }

    private static async Task<Dictionary<int, string>> ReadAppliedAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT version, checksum FROM schema_migrations", connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var applied = new Dictionary<int, string>();
        while (await reader.ReadAsync(ct)) applied[reader.GetInt32(0)] = reader.GetString(1);
        return applied;
    }

    private static void CheckAppliedAgainstBuild(Dictionary<int, string> applied)
    {
        var known = Migrations.ToDictionary(m => m.Version);
        foreach (var (version, checksum) in applied.OrderBy(a => a.Key))
        {
            if (!known.TryGetValue(version, out var migration))
                throw new InvalidOperationException(
                    $"The database has migration {version}, which this build does not know: it was migrated by a newer version.");
            if (migration.Checksum != checksum)
                throw new InvalidOperationException(
                    $"Migration {version:D4}_{migration.Name} was changed after it was applied; add a new migration instead.");
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, StorageOptions settings, CancellationToken ct,
        params NpgsqlParameter[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = settings.MigrationTimeoutSeconds };
        command.Parameters.AddRange(parameters);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static List<SchemaMigration> LoadEmbeddedMigrations()
    {
        var assembly = typeof(DatabaseMigrator).Assembly;
        var migrations = new List<SchemaMigration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith("Migrations/", StringComparison.Ordinal)) continue;
            var match = MigrationFileName().Match(resource["Migrations/".Length..]);
            if (!match.Success)
                throw new InvalidOperationException($"Embedded migration '{resource}' is not named NNNN_name.sql.");
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var text = new StreamReader(stream, Encoding.UTF8);
            // Line endings normalised so a checkout with CRLF does not look like an edited migration.
            var sql = text.ReadToEnd().Replace("\r\n", "\n");
            var checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)));
            migrations.Add(new SchemaMigration(int.Parse(match.Groups[1].Value), match.Groups[2].Value, sql, checksum));
        }
        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 0; i < migrations.Count; i++)
            if (migrations[i].Version != i + 1)
                throw new InvalidOperationException($"Embedded migrations must be numbered 1..n without gaps; found {migrations[i].Version} at {i + 1}.");
        return migrations;
    }

    [GeneratedRegex(@"^(\d{4})_([a-z0-9_]+)\.sql$")]
    private static partial Regex MigrationFileName();
}
