using System.Diagnostics;
using FaceService.Core.Embeddings;
using FaceService.Core.Search;
using FaceService.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FaceService.Storage;

/// <summary>
/// Keeps an in-process search graph (<see cref="SubjectGraph"/>) for every gallery of at least
/// Storage:InProcessSearchMinSubjects subjects (docs/SCALING.md, section 5): built from one snapshot of its templates,
/// then every Storage:InProcessSearchRefreshMs the rows that snapshot did not see are folded in, read through a newer
/// one (migration 0011 stamps each row with its writer). Searches never wait for this: <see cref="PgFaceSearch"/>
/// reads the rows not yet folded beside the graph's candidates, and uses the database's index while a graph is being
/// built or is far behind. Subjects deleted from the table leave the graph when its size no longer matches the table's.
/// </summary>
public sealed class SubjectGraphSync(PgDatabase database, SubjectGraphs graphs, IEmbeddingQuantizer quantizer, IOptions<StorageOptions> options,
    ILogger<SubjectGraphSync> logger) : BackgroundService
{
    /// <summary>Graph degree and build-time candidates: recall@10 ≥ 0.98 at 1M face-like templates (docs/BENCHMARKS.md).</summary>
    public const int GraphM = 16;
    public const int GraphEfConstruction = 100;

    /// <summary>Rows waiting to be folded in from which a search would read too many beside the graph: the database's index answers then.</summary>
    public const int MaxUnfoldedRows = 10_000;
    private static readonly TimeSpan DiscoveryInterval = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.InProcessSearchMinSubjects == 0) return;
        var refresh = TimeSpan.FromMilliseconds(settings.InProcessSearchRefreshMs);
        long? discovered = null;
        var failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var discover = discovered is not { } at || Stopwatch.GetElapsedTime(at) >= DiscoveryInterval;
                // Counted from the start: a round that fails is not tried again at once.
                if (discover) discovered = Stopwatch.GetTimestamp();
                await RefreshAsync(discover, stoppingToken);
                if (failing) logger.LogInformation("In-process search graphs refreshed again");
                failing = false;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Never down with the host, and logged once a spell: the searches stay right meanwhile (they read what
                // the graphs have not folded in, or use the database's index).
                if (!failing)
                {
                    if (e is NpgsqlException or StoreUnavailableException or TimeoutException)
                        logger.LogWarning(e, "In-process search graphs not refreshed; trying again every {Refresh}", refresh);
                    else
                        logger.LogError(e, "In-process search graphs not refreshed; trying again every {Refresh}", refresh);
                }
                failing = true;
            }
            try
            {
                await Task.Delay(refresh, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// One round of the background work: with <paramref name="discover"/>, builds the graphs of galleries that reached the
    /// size, drops those of galleries that left it and prunes deleted subjects; then folds what was written since into every graph.
    /// </summary>
    public async Task RefreshAsync(bool discover, CancellationToken ct)
    {
        if (discover) await DiscoverAsync(options.Value.InProcessSearchMinSubjects, ct);
        foreach (var (collection, model) in graphs.Galleries)
            if (graphs.TryGet(collection, model, out var graph)) await CatchUpAsync(collection, model, graph, ct);
    }

    private async Task DiscoverAsync(int minSubjects, CancellationToken ct)
    {
        if (minSubjects == 0) return;
        var large = (await PgCommands.QueryListAsync(database,
                "SELECT collection, model_id, subjects FROM gallery_sizes WHERE subjects >= @min",
                command => command.Parameters.AddWithValue("min", (long)minSubjects),
                reader => (Gallery: (reader.GetString(0), reader.GetString(1)), Subjects: reader.GetInt64(2)), ct))
            .ToDictionary(g => g.Gallery, g => g.Subjects);
        foreach (var gallery in graphs.Galleries.Where(g => !large.ContainsKey(g)))
        {
            graphs.Remove(gallery.Collection, gallery.Model);
            logger.LogInformation("In-process search graph of collection {Collection} (model {Model}) dropped: fewer than {Min} subjects",
                gallery.Collection, gallery.Model, minSubjects);
        }
        foreach (var ((collection, model), subjects) in large)
        {
            if (!graphs.TryGet(collection, model, out var graph) || graph.Graph.RemovedNodes > graph.Graph.Count / 4)
                await BuildAsync(collection, model, ct);
            else if (graph.Graph.Count > subjects)
                await PruneAsync(collection, model, graph, ct);
        }
    }

    private async Task BuildAsync(string collection, string model, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var (snapshot, rows) = await ReadTemplatesAsync(collection, model, after: null, ct);
        var readSeconds = clock.Elapsed.TotalSeconds;
        var graph = new SubjectGraph(GraphM, GraphEfConstruction);
        // Off the request threads' pool: a million inserts take minutes of one core.
        await Task.Factory.StartNew(() =>
        {
            foreach (var (subject, code) in rows)
            {
                ct.ThrowIfCancellationRequested();
                graph.Upsert(subject, code);
            }
        }, ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        graphs.Set(collection, model, new GalleryGraph(graph, snapshot));
        logger.LogInformation("In-process search graph of collection {Collection} (model {Model}): {Subjects} subjects, read in {ReadSeconds:F1} s, " +
                              "built in {BuildSeconds:F1} s, {MegaBytes:F0} MB", collection, model, graph.Count, readSeconds,
            clock.Elapsed.TotalSeconds - readSeconds, graph.MemoryBytes / 1e6);
    }

    private async Task CatchUpAsync(string collection, string model, GalleryGraph graph, CancellationToken ct)
    {
        var (snapshot, rows) = await ReadTemplatesAsync(collection, model, graph.Holds, ct);
        if (rows.Count > MaxUnfoldedRows) graph.Behind = true;
        foreach (var (subject, code) in rows) graph.Graph.Upsert(subject, code);
        graph.Holds = snapshot;
        graph.Behind = false;
    }

    /// <summary>Takes out of the graph the subjects the table no longer holds.</summary>
    private async Task PruneAsync(string collection, string model, GalleryGraph graph, CancellationToken ct)
    {
        var held = (await PgCommands.QueryListAsync(database,
            "SELECT subject FROM subject_templates WHERE collection = @collection AND model_id = @model_id",
            command =>
            {
                command.Parameters.AddWithValue("collection", collection);
                command.Parameters.AddWithValue("model_id", model);
            },
            reader => reader.GetString(0), ct)).ToHashSet(StringComparer.Ordinal);
        var removed = graph.Graph.Subjects().Where(s => !held.Contains(s)).Count(graph.Graph.Remove);
        logger.LogInformation("In-process search graph of collection {Collection} (model {Model}): {Removed} deleted subjects taken out",
            collection, model, removed);
    }

    /// <summary>
    /// Through one snapshot: the snapshot, and the gallery's templates as codes — all of them, or those that
    /// <paramref name="after"/> did not see.
    /// </summary>
    private Task<(GraphSnapshot Snapshot, List<(string Subject, sbyte[] Code)> Rows)> ReadTemplatesAsync(string collection, string model,
        GraphSnapshot? after, CancellationToken ct) =>
        PgCommands.ReadAsync(database, async (connection, token) =>
        {
            await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, token);
            GraphSnapshot snapshot;
            await using (var current = new NpgsqlCommand(
                             "SELECT pg_snapshot_xmax(s)::text, ARRAY(SELECT x::text FROM pg_snapshot_xip(s) x) FROM pg_current_snapshot() s",
                             connection, transaction))
            await using (var reader = await current.ExecuteReaderAsync(token))
            {
                await reader.ReadAsync(token);
                snapshot = new GraphSnapshot(ulong.Parse(reader.GetString(0), System.Globalization.CultureInfo.InvariantCulture),
                    reader.GetFieldValue<string[]>(1).Select(x => ulong.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray());
            }
            if (after is not null)
            {
                // The writers' index for the few rows written since, whatever the planner believes of their spread.
                await using var indexed = new NpgsqlCommand("SET LOCAL enable_seqscan = off", connection, transaction);
                await indexed.ExecuteNonQueryAsync(token);
            }
            await using var command = new NpgsqlCommand(
                "SELECT subject, embedding::real[] FROM subject_templates WHERE collection = @collection AND model_id = @model_id" +
                (after is null ? "" : " AND (written_by >= @xmax::xid8 OR written_by = ANY(@in_progress::xid8[]))"), connection, transaction);
            command.Parameters.AddWithValue("collection", collection);
            command.Parameters.AddWithValue("model_id", model);
            if (after is not null)
            {
                command.Parameters.AddWithValue("xmax", after.XmaxText);
                command.Parameters.AddWithValue("in_progress", after.InProgressText);
            }
            var rows = new List<(string, sbyte[])>();
            await using (var reader = await command.ExecuteReaderAsync(token))
                while (await reader.ReadAsync(token))
                    rows.Add((reader.GetString(0), quantizer.Quantize(reader.GetFieldValue<float[]>(1))));
            await transaction.CommitAsync(token);
            return (snapshot, rows);
        }, ct);
}
