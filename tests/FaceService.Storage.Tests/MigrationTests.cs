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
}
