using FaceService.Core.Naming;
using Microsoft.Extensions.Logging;

namespace FaceService.Storage.Tests;

public sealed class MigrationTests
{
    [Fact]
    public async Task Migrate_applies_every_migration_once_and_a_second_run_applies_none()
    {
        await using var schema = await IsolatedSchema.CreateAsync();
        Assert.False((await schema.Migrator.CheckReadinessAsync()).IsReady);

        Assert.Equal(DatabaseMigrator.Migrations.Count, await schema.Migrator.MigrateAsync());
        Assert.Equal(0, await schema.Migrator.MigrateAsync());

        Assert.Equal(DatabaseMigrator.Migrations.Count, await schema.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));
        var readiness = await schema.Migrator.CheckReadinessAsync();
        Assert.True(readiness.IsReady, readiness.Description);
    }

    [Fact]
    public async Task Concurrent_start_ups_apply_each_migration_exactly_once()
    {
        await using var schema = await IsolatedSchema.CreateAsync();
        var applied = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => schema.Migrator.MigrateAsync()));
        Assert.Equal(DatabaseMigrator.Migrations.Count, applied.Sum());
        Assert.Equal(DatabaseMigrator.Migrations.Count, await schema.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task Search_index_is_built_with_the_configured_parameters()
    {
        await using var schema = await IsolatedSchema.CreateAsync(o => (o.HnswM, o.HnswEfConstruction) = (8, 40));
        await schema.Migrator.MigrateAsync();
        var options = await schema.ScalarAsync<string[]>(
            $"SELECT reloptions FROM pg_class WHERE oid = '{schema.Name}.{DatabaseMigrator.SearchIndexName}'::regclass");
        Assert.Contains("m=8", options);
        Assert.Contains("ef_construction=40", options);
        var method = await schema.ScalarAsync<string>(
            $"SELECT am.amname::text FROM pg_class c JOIN pg_am am ON am.oid = c.relam WHERE c.oid = '{schema.Name}.{DatabaseMigrator.SearchIndexName}'::regclass");
        Assert.Equal("hnsw", method);
    }

    [Fact]
    public async Task A_migration_edited_after_it_was_applied_stops_the_start_up()
    {
        await using var schema = await IsolatedSchema.CreateAsync();
        await schema.Migrator.MigrateAsync();
        await schema.ScalarAsync<int>("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1 RETURNING version");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => schema.Migrator.MigrateAsync());
        Assert.Contains("changed after it was applied", error.Message);
    }

    [Fact]
    public async Task A_database_migrated_by_a_newer_build_stops_the_start_up()
    {
        await using var schema = await IsolatedSchema.CreateAsync();
        await schema.Migrator.MigrateAsync();
        await schema.ScalarAsync<int>("INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'future', 'x') RETURNING version");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => schema.Migrator.MigrateAsync());
        Assert.Contains("9999", error.Message);
    }

    [Fact]
    public void Embedded_migrations_are_numbered_from_one_without_gaps()
    {
        Assert.NotEmpty(DatabaseMigrator.Migrations);
        Assert.Equal(Enumerable.Range(1, DatabaseMigrator.Migrations.Count), DatabaseMigrator.Migrations.Select(m => m.Version));
        Assert.All(DatabaseMigrator.Migrations, m => Assert.Matches("^[0-9a-f]{64}$", m.Checksum));
    }

    [Fact]
    public async Task Subject_ids_stored_before_nfc_are_normalised_merged_or_reported()
    {
        await using var schema = await IsolatedSchema.CreateAsync();
        await schema.Migrator.MigrateAsync();
        var collection = SyntheticFaces.NewCollection();
        var faces = new SyntheticFaces(seed: 6);
        var jose = SubjectId.Parse("Jos\u00e9");
        var stored = await schema.Store.EnrollAsync(collection, "m", [faces.Face(jose.Value, faces.CodeNear(faces.NewSubject()))]);
        // Rows as an earlier version could have written them: the same person under the decomposed form (the same photo
        // once, another photo once), and an id with a right-to-left override, which is no longer accepted.
        await using (var command = schema.DataSource.CreateCommand("""
            INSERT INTO faces (face_id, collection, subject, model_id, code, embedding, box_x, box_y, box_width, box_height, score, image_sha256)
            SELECT gen_random_uuid(), collection, v.subject, model_id, code, embedding, box_x, box_y, box_width, box_height, score, coalesce(v.image, image_sha256)
            FROM faces, (VALUES (U&'Jose\0301', NULL::text), (U&'Jose\0301', repeat('c', 64)), (U&'bob\202Eevil', repeat('d', 64))) AS v(subject, image)
            WHERE face_id = @id
            """))
        {
            command.Parameters.AddWithValue("id", stored[0].FaceId);
            Assert.Equal(3, await command.ExecuteNonQueryAsync());
        }

        var log = new ListLogger();
        var migrator = new DatabaseMigrator(schema.DataSource, Microsoft.Extensions.Options.Options.Create(schema.Options), log);
        await schema.ScalarAsync<int>("DELETE FROM schema_migrations WHERE version = 6 RETURNING version");
        Assert.Equal(1, await migrator.MigrateAsync());

        var joseFaces = await schema.Store.GetSubjectFacesAsync(collection, jose);
        Assert.Equal([stored[0].ImageSha256, new string('c', 64)], joseFaces.Select(f => f.ImageSha256).Order());
        Assert.Equal(0, await schema.ScalarAsync<long>("SELECT count(*) FROM faces WHERE subject IS NOT NFC NORMALIZED"));
        Assert.Equal(1, await schema.ScalarAsync<long>("SELECT count(*) FROM faces WHERE subject = U&'bob\\202Eevil'"));
        Assert.Equal(3, (await schema.Store.GetGallerySizeAsync(collection, "m")).Faces);
        Assert.Contains(log.Entries, e => e is (LogLevel.Information, var m) && m.Contains("1 face(s) renamed, 1 duplicate face(s) merged"));
        Assert.Contains(log.Entries, e => e is (LogLevel.Warning, var m) && m.StartsWith("Migration: 1 face(s) have a subject id with control"));
    }

    private sealed class ListLogger : ILogger<DatabaseMigrator>
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Entries) Entries.Add((logLevel, formatter(state, exception)));
        }
    }
}
