using System.Security.Cryptography;
using System.Text;
using FaceService.Core.Naming;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FaceService.Storage;

/// <summary>
/// Partitions of identify's templates (migration 0010): every collection's templates start in the shared DEFAULT
/// partition; <see cref="GiveOwnPartitionAsync"/> moves a large collection into a LIST partition with an HNSW graph of
/// its own, so that its searches walk only its own subjects and the other collections' searches no longer walk past
/// them. Deleting the collection drops the partition (<see cref="PgFaceStore.DeleteCollectionAsync"/>).
/// </summary>
public sealed class PgCollectionPartitions(PgDatabase database, IOptions<StorageOptions> options)
{
    public const string SharedPartition = "subject_templates_shared";

    /// <summary>The partition a collection owns once given one: a name from its hash (collection names may be 64 characters).</summary>
    public static string PartitionName(CollectionName collection) =>
        "subject_templates_c_" + Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(collection.Value)))[..16];

    /// <summary>The collections with a partition of their own, with their subjects (all models).</summary>
    public Task<IReadOnlyList<(string Collection, string Partition, long Subjects)>> ListAsync(CancellationToken ct = default) =>
        PgCommands.RunAsync(database.Primary, async (connection, token) =>
        {
            var partitions = new List<(string, string)>();
            await using (var command = new NpgsqlCommand("""
                SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'subject_templates'::regclass AND c.relname <> @shared ORDER BY c.relname
                """, connection))
            {
                command.Parameters.AddWithValue("shared", SharedPartition);
                await using var reader = await command.ExecuteReaderAsync(token);
                while (await reader.ReadAsync(token)) partitions.Add((reader.GetString(0), reader.GetString(1)));
            }
            var result = new List<(string, string, long)>();
            foreach (var (partition, bound) in partitions)
            {
                // FOR VALUES IN ('name'): collection names are plain ASCII without quotes.
                var collection = bound[(bound.IndexOf('\'') + 1)..bound.LastIndexOf('\'')];
                await using var count = new NpgsqlCommand($"SELECT count(*) FROM {partition}", connection);
                result.Add((collection, partition, (long)(await count.ExecuteScalarAsync(token))!));
            }
            return (IReadOnlyList<(string, string, long)>)result;
        }, ct);

    /// <summary>
    /// Moves the collection's templates from the shared partition into one of its own and builds its HNSW graph there;
    /// false when it has one already. One transaction: writers of faces wait until it commits (the templates are
    /// written by the faces' triggers), about as long as building the graph takes (6 minutes a million subjects on 2
    /// cores, docs/BENCHMARKS.md); searches go on meanwhile, through the shared partition, until the partition is attached.
    /// A collection without templates yet gets an empty partition: its faces' templates will be written there.
    /// </summary>
    public Task<bool> GiveOwnPartitionAsync(CollectionName collection, CancellationToken ct = default)
    {
        var partition = PartitionName(collection);
        var settings = options.Value;
        // Collection names are ASCII letters, digits, '_', '.' and '-' (CollectionName), so they are safe as literals in
        // the DDL, which takes no parameters; the partition name is hex; the options are validated integers.
        var literal = $"'{collection.Value}'";
        return PgCommands.WriteAsync(database, async (connection, token) =>
        {
            await using var transaction = await connection.BeginTransactionAsync(token);
            async Task ExecuteAsync(string sql)
            {
                await using var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = settings.MigrationTimeoutSeconds };
                await command.ExecuteNonQueryAsync(token);
            }

            await using (var exists = new NpgsqlCommand("SELECT to_regclass(@name) IS NOT NULL", connection, transaction))
            {
                exists.Parameters.AddWithValue("name", partition);
                if ((bool)(await exists.ExecuteScalarAsync(token))!) return false;
            }
            await ExecuteAsync("LOCK TABLE faces IN SHARE ROW EXCLUSIVE MODE");
            await ExecuteAsync($"SET LOCAL maintenance_work_mem = '{settings.IndexBuildMemoryMb}MB'");
            await ExecuteAsync($"CREATE TABLE {partition} (LIKE subject_templates INCLUDING DEFAULTS INCLUDING CONSTRAINTS)");
            await ExecuteAsync($"ALTER TABLE {partition} ADD PRIMARY KEY (collection, model_id, subject)");
            // Straight from partition to partition: the parent's triggers would count the subjects again. The rows keep
            // their writers: moved, not changed (in-process graphs built before the move hold them as they are).
            await ExecuteAsync($"INSERT INTO {partition} (collection, model_id, subject, faces, embedding, written_by) " +
                               $"SELECT collection, model_id, subject, faces, embedding, written_by FROM {SharedPartition} WHERE collection = {literal}");
            await ExecuteAsync($"DELETE FROM {SharedPartition} WHERE collection = {literal}");
            // Built before attaching, so that the attached partition brings its own index for the parent's.
            await ExecuteAsync($"CREATE INDEX ON {partition} USING hnsw ((embedding::halfvec(128)) halfvec_cosine_ops) " +
                               $"WITH (m = {settings.HnswM}, ef_construction = {settings.HnswEfConstruction})");
            await ExecuteAsync($"ALTER TABLE subject_templates ATTACH PARTITION {partition} FOR VALUES IN ({literal})");
            await ExecuteAsync($"ANALYZE {partition}");
            await transaction.CommitAsync(token);
            return true;
        }, ct);
    }
}
