using FaceService.Core.Naming;
using FaceService.Core.Storage;
using Microsoft.Extensions.Options;

namespace FaceService.Storage.Tests;

/// <summary>Identify's templates partitioned by collection (migration 0010, <see cref="PgCollectionPartitions"/>).</summary>
public sealed class PartitionTests
{
    private const string Model = "model-a";
    private readonly SyntheticFaces _faces = new(seed: 21);

    private async Task<sbyte[][]> EnrollAsync(IsolatedSchema schema, CollectionName collection, int subjects, string prefix)
    {
        var centres = Enumerable.Range(0, subjects).Select(_ => _faces.NewSubject()).ToArray();
        await schema.Store.EnrollAsync(collection, Model,
            centres.SelectMany((c, s) => Enumerable.Range(0, 2).Select(_ => _faces.Face($"{prefix}{s:D4}", _faces.CodeNear(c)))).ToList());
        return centres.Take(5).Select(_faces.CodeNear).ToArray();
    }

    /// <summary>The answer through the store equals the exact one over every subject's template.</summary>
    private static async Task AssertExactAsync(IsolatedSchema schema, CollectionName collection, IEnumerable<sbyte[]> queries)
    {
        foreach (var query in queries)
        {
            var found = await schema.Store.SearchSubjectsAsync(collection, Model, query, k: 10);
            var exact = await schema.Search.ExactSearchSubjectsAsync(collection, Model, query, 10);
            Assert.Equal(exact.Select(m => m.Subject), found.Select(m => m.Subject));
        }
    }

    private static Task<long> TemplatesInAsync(IsolatedSchema schema, string partition, CollectionName collection) =>
        schema.ScalarAsync<long>($"SELECT count(*) FROM {partition} WHERE collection = '{collection.Value}'");

    [Fact]
    public async Task The_migration_moves_every_template_into_the_shared_partition_and_keeps_the_counts()
    {
        await using var schema = await IsolatedSchema.CreateAsync(o => o.ExactSearchMaxSubjects = 0);
        // The schema as the previous build left it: migrations 1-9, with faces and their templates.
        await using (var connection = await schema.DataSource.OpenConnectionAsync())
        {
            await using var transaction = await connection.BeginTransactionAsync();
            foreach (var migration in DatabaseMigrator.Migrations.Where(m => m.Version < 10))
            {
                await using var command = new Npgsql.NpgsqlCommand(migration.Sql, connection, transaction);
                await command.ExecuteNonQueryAsync();
            }
            await transaction.CommitAsync();
        }
        var collection = SyntheticFaces.NewCollection();
        var queries = await EnrollAsync(schema, collection, 120, "s");
        await using (var record = schema.DataSource.CreateCommand(
            "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()); " +
            "INSERT INTO schema_migrations (version, name, checksum) SELECT * FROM unnest(@versions, @names, @checksums)"))
        {
            var previous = DatabaseMigrator.Migrations.Where(m => m.Version < 10).ToList();
            record.Parameters.AddWithValue("versions", previous.Select(m => m.Version).ToArray());
            record.Parameters.AddWithValue("names", previous.Select(m => m.Name).ToArray());
            record.Parameters.AddWithValue("checksums", previous.Select(m => m.Checksum).ToArray());
            await record.ExecuteNonQueryAsync();
        }
        var templatesBefore = await schema.ScalarAsync<long>("SELECT count(*) FROM subject_templates");

        Assert.Equal(DatabaseMigrator.Migrations.Count - 9, await schema.Migrator.MigrateAsync());

        Assert.Equal(templatesBefore, await TemplatesInAsync(schema, PgCollectionPartitions.SharedPartition, collection));
        Assert.Equal(new GallerySize(120, 240), await schema.Store.GetGallerySizeAsync(collection, Model));
        await AssertExactAsync(schema, collection, queries);
    }

    [Fact]
    public async Task A_collection_given_its_own_partition_keeps_its_answers_and_takes_it_along_when_deleted()
    {
        await using var schema = await IsolatedSchema.CreateAsync(o => o.ExactSearchMaxSubjects = 0);
        await schema.Migrator.MigrateAsync();
        var partitions = new PgCollectionPartitions(schema.Database, Options.Create(schema.Options));
        CollectionName big = SyntheticFaces.NewCollection(), small = SyntheticFaces.NewCollection();
        var bigQueries = await EnrollAsync(schema, big, 150, "b");
        var smallQueries = await EnrollAsync(schema, small, 40, "s");

        Assert.True(await partitions.GiveOwnPartitionAsync(big));
        Assert.False(await partitions.GiveOwnPartitionAsync(big));

        var own = PgCollectionPartitions.PartitionName(big);
        Assert.Equal([(big.Value, own, 150L)], await partitions.ListAsync());
        Assert.Equal(0, await TemplatesInAsync(schema, PgCollectionPartitions.SharedPartition, big));
        Assert.Equal(40, await TemplatesInAsync(schema, PgCollectionPartitions.SharedPartition, small));
        Assert.Equal(new GallerySize(150, 300), await schema.Store.GetGallerySizeAsync(big, Model));
        await AssertExactAsync(schema, big, bigQueries);
        await AssertExactAsync(schema, small, smallQueries);
        // The plan walks the collection's own graph: pruned to its partition.
        var plan = new List<string>();
        await using (var explain = schema.DataSource.CreateCommand(
            $"EXPLAIN (COSTS OFF) SELECT subject FROM subject_templates WHERE collection = '{big.Value}' AND model_id = '{Model}' " +
            $"ORDER BY embedding::halfvec(128) <=> '[{string.Join(',', Enumerable.Repeat("0.088", 128))}]'::halfvec(128) LIMIT 10"))
        await using (var reader = await explain.ExecuteReaderAsync())
            while (await reader.ReadAsync()) plan.Add(reader.GetString(0));
        Assert.Contains(plan, line => line.Contains(own, StringComparison.Ordinal));
        Assert.DoesNotContain(plan, line => line.Contains(PgCollectionPartitions.SharedPartition, StringComparison.Ordinal));

        // New faces of the collection go to its partition.
        await EnrollAsync(schema, big, 3, "late");
        Assert.Equal(153, await TemplatesInAsync(schema, own, big));

        Assert.Equal(306, await schema.Store.DeleteCollectionAsync(big));
        Assert.True(await schema.ScalarAsync<bool>($"SELECT to_regclass('{own}') IS NULL"));
        Assert.Equal(default, await schema.Store.GetGallerySizeAsync(big, Model));
        await AssertExactAsync(schema, small, smallQueries);

        // A collection not yet written gets an empty partition, which its first faces fill.
        var fresh = SyntheticFaces.NewCollection();
        Assert.True(await partitions.GiveOwnPartitionAsync(fresh));
        var freshQueries = await EnrollAsync(schema, fresh, 20, "f");
        Assert.Equal(20, await TemplatesInAsync(schema, PgCollectionPartitions.PartitionName(fresh), fresh));
        await AssertExactAsync(schema, fresh, freshQueries);
    }
}
