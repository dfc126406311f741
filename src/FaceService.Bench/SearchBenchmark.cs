using FaceService.CommandLine;
using FaceService.Core.Naming;
using System.Diagnostics;
using System.Globalization;
using FaceService.Core.Embeddings;
using FaceService.Core.Storage;
using FaceService.Evaluation;
using FaceService.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FaceService.Bench;

/// <summary>
/// `search`: identify's database side at scale. For each N: synthetic faces (the storage recall test's generator:
/// one face per subject, face-like) or uniform random unit vectors, quantized like real embeddings, bulk-loaded with binary
/// COPY into a fresh schema, HNSW index built afterwards; then <see cref="PgFaceSearch.SearchSubjectsAsync"/>
/// timed per call (the SQL round trip plus the exact re-rank, what identify waits for after the embedding) and scored
/// against exact search (<see cref="InMemoryCodeScan"/>). The exact floors: the same query without the index in SQL, and
/// the in-process int8 scan.
/// Options: --n 10000,100000 --data face,uniform --queries 200 (per query kind) --ef-search 40,64,100,200,400
/// --ef 100 (for the concurrency table) --hnsw 16:64 (m:ef_construction list; the first is used above --tune-max-n)
/// --tune-max-n 100000 --clients 1,8 --exact-queries 50 (0: no exact floors) --build-memory-mb 4096 --seed 1
/// --connection (default: database faceservice_bench on localhost; a schema of its own, dropped at the end)
/// --schema name (one N and one data kind: a schema kept after the run, and reused by the next run with the same name,
/// seed, N and data, which then skips the load; the index is rebuilt only when --hnsw asks for other parameters)
/// --in-process no|also|only (the same searches through the in-process graph of Storage:InProcessSearchMinSubjects,
/// after or instead of the database's index).
/// </summary>
public static class SearchBenchmark
{
    internal const string DefaultConnection = "Host=localhost;Port=5432;Database=faceservice_bench;Username=faceservice;Password=faceservice";
    private static readonly CollectionName Collection = CollectionName.Parse("bench");
    private const string Model = "bench-model";
    // One face per subject: identify searches the subjects' templates, and a template of one face is that face, so the
    // exact scan over the faces is the exact answer over the templates.
    private const int FacesPerSubject = 1;
    private const int WarmUpQueries = 50;
    // Distances from the store and from the scan are computed in different float orders.
    private const float DistanceTolerance = 1e-4f;

    public static int Run(ToolArguments args) => RunAsync(args).GetAwaiter().GetResult();

    private sealed record Settings(
        int[] Sizes, string[] DataKinds, int QueriesPerKind, int[] EfSearchSweep, int Ef, (int M, int EfConstruction)[] Hnsw,
        int TuneMaxN, int[] Clients, int ExactQueries, int BuildMemoryMb, int Seed, string Connection, string? KeptSchema, string InProcess);

    internal sealed record Query(string Kind, sbyte[] Code, (int Subject, float Distance)[] Exact);

    internal sealed record Dataset(List<NewFace> Faces, InMemoryCodeScan Scan, List<Query> Queries);

    private static async Task<int> RunAsync(ToolArguments args)
    {
        var settings = new Settings(
            Ints(args.Get("n", "10000,100000")), args.Get("data", "face,uniform").Split(','), args.Get("queries", 200),
            Ints(args.Get("ef-search", "40,64,100,200,400")), args.Get("ef", 100),
            args.Get("hnsw", "16:64").Split(',').Select(p => p.Split(':')).Select(p => (int.Parse(p[0], CultureInfo.InvariantCulture), int.Parse(p[1], CultureInfo.InvariantCulture))).ToArray(),
            args.Get("tune-max-n", 100_000), Ints(args.Get("clients", "1,8")), args.Get("exact-queries", 50),
            args.Get("build-memory-mb", 4096), args.Get("seed", 1), args.Get("connection", DefaultConnection),
            args.Get("schema", "") is { Length: > 0 } kept ? kept : null, args.Get("in-process", "no"));
        if (settings.InProcess is not ("no" or "also" or "only")) throw new ArgumentException("--in-process takes no, also or only.");
        if (settings.DataKinds.Except(["face", "uniform"]).Any()) throw new ArgumentException("--data takes face and/or uniform.");
        if (settings.KeptSchema is not null && (settings.Sizes.Length != 1 || settings.DataKinds.Length != 1))
            throw new ArgumentException("--schema takes one --n and one --data.");

        Console.WriteLine($"machine: {BenchMachine.DescribeMachine()}; load average {LoadAverage()}");
        Console.WriteLine($"database: {await DescribeDatabaseAsync(settings.Connection)}");
        Console.WriteLine($"date: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC; latency = PgFaceSearch.SearchSubjectsAsync per call " +
                          "(SQL round trip + exact re-rank of the candidates), in ms");
        foreach (var n in settings.Sizes)
            foreach (var kind in settings.DataKinds)
                await RunSizeAsync(settings, n, kind);
        Console.WriteLine($"peak resident memory of the bench process {BenchMachine.PeakWorkingSetBytes() / 1e6:F0} MB; load average {LoadAverage()}");
        return 0;
    }

    private static async Task RunSizeAsync(Settings settings, int n, string kind)
    {
        Console.WriteLine();
        Console.WriteLine($"## N = {n:N0}, {kind} data");
        var clock = Stopwatch.StartNew();
        var data = Generate(kind, n, settings.QueriesPerKind, settings.Seed);
        Console.WriteLine($"generated {n:N0} codes and {data.Queries.Count} queries with exact answers in {clock.Elapsed.TotalSeconds:F1} s " +
                          $"(in-process codes {data.Scan.MemoryBytes / 1e6:F1} MB)");

        var (m, efConstruction) = settings.Hnsw[0];
        await using var schema = await BenchSchema.CreateAsync(settings.Connection, settings.KeptSchema, m, efConstruction, settings.BuildMemoryMb);
        var server = new ServerCpu(settings.Connection);
        double cpu;
        if (schema.Reused)
        {
            var stored = await schema.ScalarAsync<long>("SELECT count(*) FROM faces");
            if (stored != n) throw new InvalidOperationException($"Schema {schema.Name} holds {stored:N0} faces, not {n:N0}.");
            Console.WriteLine($"reusing schema {schema.Name} ({stored:N0} faces, loaded by an earlier run)");
            if (!await schema.IndexHasAsync(m, efConstruction)) await schema.ExecuteAsync($"DROP INDEX IF EXISTS {DatabaseMigrator.SearchIndexName}");
        }
        else
        {
            await schema.Migrator.MigrateAsync();
            await schema.ExecuteAsync($"DROP INDEX {DatabaseMigrator.SearchIndexName}");

            var clientCpu = Environment.CpuUsage.TotalTime;
            cpu = server.Seconds();
            clock.Restart();
            var loaded = await schema.BulkLoader.BulkLoadAsync(Collection, Model, data.Faces);
            var loadSeconds = clock.Elapsed.TotalSeconds;
            var (serverCopy, clientCopy) = (server.Seconds() - cpu, (Environment.CpuUsage.TotalTime - clientCpu).TotalSeconds);
            await schema.ExecuteAsync("VACUUM ANALYZE faces, subject_templates");
            Console.WriteLine($"COPY {loaded:N0} faces: {loadSeconds:F1} s = {loaded / loadSeconds:N0} faces/s (table without the search index); " +
                              $"server CPU {serverCopy:F1} s = {loaded / serverCopy:N0} faces per server CPU second, bench client CPU {clientCopy:F1} s; load average {LoadAverage()}");
            if (settings.KeptSchema is not null) Console.WriteLine($"schema {schema.Name} is kept for later runs (DROP SCHEMA {schema.Name} CASCADE when done)");
        }

        var configs = settings.InProcess == "only" ? [] : n <= settings.TuneMaxN ? settings.Hnsw : settings.Hnsw[..1];
        for (var c = 0; c < configs.Length; c++)
        {
            (m, efConstruction) = configs[c];
            await using var rebuilt = c == 0 ? null : schema.WithIndex(m, efConstruction, settings.BuildMemoryMb);
            var configured = rebuilt ?? schema;
            if (c > 0) await schema.ExecuteAsync($"DROP INDEX {DatabaseMigrator.SearchIndexName}");
            clock.Restart();
            await configured.Migrator.MigrateAsync();
            var buildSeconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine();
            Console.WriteLine($"### HNSW m {m}, ef_construction {efConstruction}: build {buildSeconds:F1} s " +
                              $"(maintenance_work_mem {settings.BuildMemoryMb} MB, load average {LoadAverage()}); {await schema.SizesAsync()}");

            await SweepAsync(settings, configured.Search, data);
            if (c == 0) await ConcurrencyAsync(settings, configured.Search, data);
        }

        if (settings.InProcess != "no") await InProcessAsync(settings, schema, data);

        if (settings.ExactQueries > 0) await ExactFloorsAsync(settings, schema.Search, data);
    }

    /// <summary>
    /// The same searches through the in-process graph (Storage:InProcessSearchMinSubjects): built by the service's own
    /// SubjectGraphSync from the table, searched through PgFaceSearch (graph candidates, their templates and the rows
    /// written since read from the table, exact re-rank).
    /// </summary>
    private static async Task InProcessAsync(Settings settings, BenchSchema schema, Dataset data)
    {
        await schema.Migrator.MigrateAsync();
        Console.WriteLine();
        Console.WriteLine($"### {await schema.BuildGraphsAsync(minSubjects: 1)}");
        await SweepAsync(settings, schema.Search, data);
        await ConcurrencyAsync(settings, schema.Search, data);
    }

    /// <summary>Recall and latency over the ef_search sweep, k = 1 and 10.</summary>
    private static async Task SweepAsync(Settings settings, PgFaceSearch search, Dataset data)
    {
        await WarmUpAsync(search, data, settings.Ef);
        var server = new ServerCpu(settings.Connection);
        Console.WriteLine("| ef_search | recall@1 face-like | recall@10 face-like | recall@1 genuine | recall@1 stranger | recall@1 uniform q | recall@10 uniform q | p50 k=10 | p95 k=10 | p99 k=10 | p99 k=1 | server CPU ms/search k=10 |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var ef in settings.EfSearchSweep)
        {
            var one = await SearchAllAsync(search, data.Queries, 1, ef);
            var cpu = server.Seconds();
            var ten = await SearchAllAsync(search, data.Queries, 10, ef);
            var cpuPerSearch = (server.Seconds() - cpu) * 1000 / data.Queries.Count;
            var faceLike = data.Queries.Select((q, i) => (q, i)).Where(x => x.q.Kind is "genuine" or "stranger").Select(x => x.i).ToArray();
            Console.WriteLine($"| {ef} | {Recall(data.Queries, one.Results, 1, faceLike)} | {Recall(data.Queries, ten.Results, 10, faceLike)} " +
                              $"| {Recall(data.Queries, one.Results, 1, Of(data, "genuine"))} | {Recall(data.Queries, one.Results, 1, Of(data, "stranger"))} " +
                              $"| {Recall(data.Queries, one.Results, 1, Of(data, "uniform"))} | {Recall(data.Queries, ten.Results, 10, Of(data, "uniform"))} " +
                              $"| {Percentile(ten.LatenciesMs, 50):F2} | {Percentile(ten.LatenciesMs, 95):F2} | {Percentile(ten.LatenciesMs, 99):F2} | {Percentile(one.LatenciesMs, 99):F2} | {cpuPerSearch:F2} |");
        }
    }

    /// <summary>Latency at the configured ef_search from 1 and 8 clients; each client runs every query, in its own order.</summary>
    private static async Task ConcurrencyAsync(Settings settings, PgFaceSearch search, Dataset data)
    {
        Console.WriteLine();
        Console.WriteLine($"HNSW at ef_search {settings.Ef}, face-like queries (genuine + stranger; uniform queries for uniform data):");
        Console.WriteLine("| clients | k | p50 ms | p95 ms | p99 ms | searches/s | server CPU ms/search |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
        var queries = MainQueries(data);
        var server = new ServerCpu(settings.Connection);
        foreach (var clients in settings.Clients)
            foreach (var k in (int[])[1, 10])
            {
                var cpu = server.Seconds();
                var (latencies, seconds) = await ConcurrentAsync(clients, queries.Count,
                    async i => { await search.SearchSubjectsAsync(Collection, Model, queries[i].Code, k, settings.Ef); });
                Console.WriteLine($"| {clients} | {k} | {Percentile(latencies, 50):F2} | {Percentile(latencies, 95):F2} | {Percentile(latencies, 99):F2} | {latencies.Length / seconds:N0} " +
                                  $"| {(server.Seconds() - cpu) * 1000 / latencies.Length:F2} |");
            }
    }

    private static async Task ExactFloorsAsync(Settings settings, PgFaceSearch search, Dataset data)
    {
        Console.WriteLine();
        Console.WriteLine("Exact search, k = 10, the same queries:");
        Console.WriteLine("| method | clients | p50 ms | p95 ms | p99 ms | searches/s | server CPU ms/search (leader backends) | agrees with the in-process scan |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        var server = new ServerCpu(settings.Connection);
        var queries = MainQueries(data).Take(settings.ExactQueries).ToList();
        var sqlResults = new IReadOnlyList<SubjectMatch>[queries.Count];
        await search.ExactSearchSubjectsAsync(Collection, Model, queries[0].Code, 10);
        foreach (var clients in settings.Clients)
        {
            var cpu = server.Seconds();
            var (latencies, seconds) = await ConcurrentAsync(clients, queries.Count,
                async i => sqlResults[i] = await search.ExactSearchSubjectsAsync(Collection, Model, queries[i].Code, 10));
            var agreement = Recall(queries, sqlResults, 10, Enumerable.Range(0, queries.Count).ToArray());
            Console.WriteLine($"| SQL scan (no index) | {clients} | {Percentile(latencies, 50):F2} | {Percentile(latencies, 95):F2} | {Percentile(latencies, 99):F2} | {latencies.Length / seconds:N1} " +
                              $"| {(server.Seconds() - cpu) * 1000 / latencies.Length:F2} | {agreement} |");
        }
        var all = MainQueries(data);
        foreach (var clients in settings.Clients)
        {
            var (latencies, seconds) = await ConcurrentAsync(clients, all.Count, i =>
            {
                data.Scan.NearestSubjects(all[i].Code, 10);
                return Task.CompletedTask;
            });
            Console.WriteLine($"| in-process int8 AVX2 scan | {clients} | {Percentile(latencies, 50):F2} | {Percentile(latencies, 95):F2} | {Percentile(latencies, 99):F2} | {latencies.Length / seconds:N1} | – | (reference) |");
        }
    }

    private static async Task WarmUpAsync(PgFaceSearch search, Dataset data, int ef)
    {
        foreach (var query in data.Queries.Take(WarmUpQueries))
            await search.SearchSubjectsAsync(Collection, Model, query.Code, 10, ef);
    }

    private static async Task<(IReadOnlyList<SubjectMatch>[] Results, double[] LatenciesMs)> SearchAllAsync(
        PgFaceSearch search, List<Query> queries, int k, int ef)
    {
        var results = new IReadOnlyList<SubjectMatch>[queries.Count];
        var latencies = new double[queries.Count];
        for (var i = 0; i < queries.Count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            results[i] = await search.SearchSubjectsAsync(Collection, Model, queries[i].Code, k, ef);
            latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        return (results, latencies);
    }

    /// <summary>Each of <paramref name="clients"/> runs every query index once, starting at its own offset.</summary>
    private static async Task<(double[] LatenciesMs, double Seconds)> ConcurrentAsync(int clients, int count, Func<int, Task> search)
    {
        var latencies = new double[clients * count];
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            for (var j = 0; j < count; j++)
            {
                var start = Stopwatch.GetTimestamp();
                await search((j + client * count / clients) % count);
                latencies[client * count + j] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
        })));
        return (latencies, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Mean fraction of the exact k nearest subjects found: a returned subject counts when it is no farther than the exact
    /// k-th (ties between subjects at the same distance are equally right).
    /// </summary>
    internal static string Recall(List<Query> queries, IReadOnlyList<SubjectMatch>[] results, int k, int[] indices)
    {
        if (indices.Length == 0) return "–";
        var total = 0.0;
        foreach (var i in indices)
        {
            var exact = queries[i].Exact;
            var wanted = Math.Min(k, exact.Length);
            var kth = exact[wanted - 1].Distance + DistanceTolerance;
            total += Math.Min(wanted, results[i].Take(k).Count(r => r.Distance <= kth)) / (double)wanted;
        }
        return (total / indices.Length).ToString("F4", CultureInfo.InvariantCulture);
    }

    /// <summary>Face-like queries (genuine + stranger) of face-like data; the uniform queries of uniform data.</summary>
    private static List<Query> MainQueries(Dataset data) =>
        data.Queries.Any(q => q.Kind != "uniform") ? data.Queries.Where(q => q.Kind != "uniform").ToList() : data.Queries;

    private static int[] Of(Dataset data, string kind) =>
        data.Queries.Select((q, i) => (q, i)).Where(x => x.q.Kind == kind).Select(x => x.i).ToArray();

    /// <summary>
    /// Face-like: the recall test's generator, N subjects of one face each; queries are new faces of enrolled subjects
    /// (genuine), faces of new subjects (stranger) and uniform random unit vectors. Uniform: N uniform random unit
    /// vectors, one subject each, queried with uniform random vectors.
    /// </summary>
    internal static Dataset Generate(string kind, int n, int queriesPerKind, int seed)
    {
        var synthetic = new SyntheticFaces(seed);
        var uniform = new Random(seed);
        var quantizer = synthetic.Quantizer;
        var faces = new List<NewFace>(n);
        var subjectOf = new int[n];
        string[] names;
        var centres = new List<float[]>();
        if (kind == "face")
        {
            var subjects = (n + FacesPerSubject - 1) / FacesPerSubject;
            names = new string[subjects];
            for (var s = 0; s < subjects; s++)
            {
                names[s] = $"s{s:D7}";
                centres.Add(synthetic.NewSubject());
            }
            for (var i = 0; i < n; i++)
            {
                subjectOf[i] = i / FacesPerSubject;
                faces.Add(synthetic.Face(names[subjectOf[i]], synthetic.CodeNear(centres[subjectOf[i]])));
            }
        }
        else
        {
            names = new string[n];
            for (var i = 0; i < n; i++)
            {
                names[i] = $"u{i:D7}";
                subjectOf[i] = i;
                faces.Add(synthetic.Face(names[i], quantizer.Quantize(UniformUnitVector(uniform))));
            }
        }
        var scan = new InMemoryCodeScan(faces.Select(f => f.Code).ToList(), subjectOf);

        var queryCodes = new List<(string Kind, sbyte[] Code)>();
        if (kind == "face")
        {
            for (var q = 0; q < queriesPerKind; q++) queryCodes.Add(("genuine", synthetic.CodeNear(centres[synthetic.NextIndex(centres.Count)])));
            for (var q = 0; q < queriesPerKind; q++) queryCodes.Add(("stranger", synthetic.CodeNear(synthetic.NewSubject())));
        }
        for (var q = 0; q < queriesPerKind; q++) queryCodes.Add(("uniform", quantizer.Quantize(UniformUnitVector(uniform))));
        var exact = new (int, float)[queryCodes.Count][];
        Parallel.For(0, queryCodes.Count, q => exact[q] = scan.NearestSubjects(queryCodes[q].Code, 10));
        var queries = queryCodes.Select((q, i) => new Query(q.Kind, q.Code,
            exact[i].Select(e => (e.Item1, e.Item2)).ToArray())).ToList();
        return new Dataset(faces, scan, queries);
    }

    private static float[] UniformUnitVector(Random random)
    {
        var v = new float[EmbeddingQuantizer.Dimensions];
        for (var i = 0; i < v.Length; i++)
            v[i] = (float)(Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble())) * Math.Cos(2.0 * Math.PI * random.NextDouble()));
        EmbeddingMath.NormalizeInPlace(v);
        return v;
    }

    internal static double Percentile(double[] values, double percentile)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    internal static int[] Ints(string list) => list.Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();

    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    /// <summary>Names this process's connections, so that their server processes can be told apart from others'.</summary>
    private static readonly string ApplicationName = $"faceservice-bench-{Environment.ProcessId}";

    /// <summary>
    /// CPU time of the PostgreSQL backends serving this bench process (found by application name), from /proc on the
    /// database host (this machine): what a search or a load costs the server however busy the machine is. Parallel
    /// workers, which exit with their query, are not counted.
    /// </summary>
    internal sealed class ServerCpu(string connectionString)
    {
        public double Seconds()
        {
            if (!Directory.Exists("/proc")) return double.NaN;
            var pids = new List<int>();
            using (var connection = new NpgsqlConnection(connectionString))
            {
                connection.Open();
                using var command = new NpgsqlCommand("SELECT pid FROM pg_stat_activity WHERE application_name = @name", connection);
                command.Parameters.AddWithValue("name", ApplicationName);
                using var reader = command.ExecuteReader();
                while (reader.Read()) pids.Add(reader.GetInt32(0));
            }
            var ticks = 0L;
            foreach (var pid in pids)
            {
                try
                {
                    var stat = File.ReadAllText($"/proc/{pid}/stat");
                    // Fields after "(comm) ": state is field 3, utime and stime are fields 14 and 15.
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
            return ticks / 100.0; // USER_HZ
        }
    }

    internal static async Task<string> DescribeDatabaseAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT split_part(version(), ' on ', 1) || ', pgvector ' || (SELECT extversion FROM pg_extension WHERE extname = 'vector') || " +
            "', shared_buffers ' || current_setting('shared_buffers') || ', max_parallel_maintenance_workers ' || current_setting('max_parallel_maintenance_workers') || " +
            "', max_parallel_workers_per_gather ' || current_setting('max_parallel_workers_per_gather')", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>A schema of its own in the bench database, dropped on dispose, with a store and migrator configured for it.</summary>
    internal sealed class BenchSchema : IAsyncDisposable
    {
        private readonly string _name;
        private readonly string _adminConnection;
        private readonly NpgsqlDataSource _dataSource;
        private readonly bool _ownsSchema;

        private BenchSchema(string name, string adminConnection, NpgsqlDataSource dataSource, StorageOptions options, bool ownsSchema)
        {
            _name = name;
            _adminConnection = adminConnection;
            _dataSource = dataSource;
            _ownsSchema = ownsSchema;
            StorageOptions = options;
            Migrator = new DatabaseMigrator(dataSource, Options.Create(options), NullLogger<DatabaseMigrator>.Instance);
            Database = new PgDatabase(dataSource);
            Search = new PgFaceSearch(Database, new EmbeddingQuantizer(), Options.Create(options), Graphs);
            BulkLoader = new PgFaceBulkLoader(Database);
        }

        public DatabaseMigrator Migrator { get; }
        public StorageOptions StorageOptions { get; }

        /// <summary>Builds the in-process graphs of galleries of at least that many subjects, as the service's sync does; says what it cost.</summary>
        public async Task<string> BuildGraphsAsync(int minSubjects)
        {
            var sync = new SubjectGraphSync(Database, Graphs, new EmbeddingQuantizer(),
                Options.Create(new StorageOptions { ConnectionString = StorageOptions.ConnectionString, InProcessSearchMinSubjects = minSubjects }),
                NullLogger<SubjectGraphSync>.Instance);
            var clock = Stopwatch.StartNew();
            var cpu = Environment.CpuUsage.TotalTime;
            await sync.RefreshAsync(discover: true, CancellationToken.None);
            return $"In-process graph (m {SubjectGraphSync.GraphM}, ef_construction {SubjectGraphSync.GraphEfConstruction}): read and built in " +
                   $"{clock.Elapsed.TotalSeconds:F1} s ({(Environment.CpuUsage.TotalTime - cpu).TotalSeconds:F0} s of bench CPU), {Graphs.Subjects:N0} subjects, " +
                   $"codes and links {Graphs.MemoryBytes / 1e6:F0} MB; load average {LoadAverage()}";
        }
        public NpgsqlDataSource DataSource => _dataSource;
        public PgDatabase Database { get; }
        public PgFaceSearch Search { get; }
        /// <summary>The in-process graphs the search uses: none until a run builds one (`--in-process`).</summary>
        public SubjectGraphs Graphs { get; } = new();
        public PgFaceBulkLoader BulkLoader { get; }

        /// <summary>Whether the schema held a load from an earlier run (only for a kept schema).</summary>
        public bool Reused { get; private set; }

        public string Name => _name;

        /// <param name="keptName">null: a new schema, dropped on dispose; else this schema, created when missing and kept.</param>
        public static async Task<BenchSchema> CreateAsync(string connection, string? keptName, int m, int efConstruction, int buildMemoryMb)
        {
            if (keptName is not null && !System.Text.RegularExpressions.Regex.IsMatch(keptName, "^[a-z_][a-z0-9_]{0,62}$"))
                throw new ArgumentException("--schema is a lower-case SQL identifier.");
            var name = keptName ?? "bench_" + Guid.NewGuid().ToString("N");
            bool reused;
            await using (var admin = new NpgsqlConnection(connection))
            {
                await admin.OpenAsync();
                await using var exists = new NpgsqlCommand("SELECT to_regclass(@table) IS NOT NULL", admin);
                exists.Parameters.AddWithValue("table", $"{name}.faces");
                reused = (bool)(await exists.ExecuteScalarAsync())!;
                await using var create = new NpgsqlCommand($"CREATE SCHEMA IF NOT EXISTS {name}", admin);
                await create.ExecuteNonQueryAsync();
            }
            var schema = Open(name, connection, m, efConstruction, buildMemoryMb, ownsSchema: keptName is null);
            schema.Reused = reused;
            return schema;
        }

        private static BenchSchema Open(string name, string connection, int m, int efConstruction, int buildMemoryMb, bool ownsSchema)
        {
            var builder = new NpgsqlConnectionStringBuilder(connection) { SearchPath = $"{name}, public", ApplicationName = ApplicationName };
            var options = new StorageOptions
            {
                ConnectionString = builder.ConnectionString, HnswM = m, HnswEfConstruction = efConstruction,
                IndexBuildMemoryMb = buildMemoryMb, CommandTimeoutSeconds = 3600, MigrationTimeoutSeconds = 7200,
            };
            return new BenchSchema(name, connection, ServiceCollectionExtensions.CreateDataSource(options), options, ownsSchema);
        }

        /// <summary>The same schema with other index parameters (the caller drops the index first).</summary>
        public BenchSchema WithIndex(int m, int efConstruction, int buildMemoryMb) =>
            Open(_name, _adminConnection, m, efConstruction, buildMemoryMb, ownsSchema: false);

        public async Task<T> ScalarAsync<T>(string sql)
        {
            await using var command = _dataSource.CreateCommand(sql);
            return (T)(await command.ExecuteScalarAsync())!;
        }

        /// <summary>Whether the search index exists with these build parameters.</summary>
        public async Task<bool> IndexHasAsync(int m, int efConstruction)
        {
            await using var command = _dataSource.CreateCommand(
                "SELECT reloptions FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relname = @name");
            command.Parameters.AddWithValue("name", DatabaseMigrator.SearchIndexName);
            return await command.ExecuteScalarAsync() is string[] options
                   && options.Contains($"m={m}") && options.Contains($"ef_construction={efConstruction}");
        }

        public async Task ExecuteAsync(string sql)
        {
            await using var command = _dataSource.CreateCommand(sql);
            await command.ExecuteNonQueryAsync();
        }

        public async Task<string> SizesAsync()
        {
            await using var command = _dataSource.CreateCommand(
                // The templates are partitioned (migration 0010): their sizes are the sums over the partitions.
                "SELECT pg_relation_size('faces'), pg_total_relation_size('faces'), " +
                "(SELECT sum(pg_total_relation_size(relid))::bigint FROM pg_partition_tree('subject_templates')), " +
                $"(SELECT sum(pg_relation_size(relid))::bigint FROM pg_partition_tree('{DatabaseMigrator.SearchIndexName}'))");
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            return $"faces {reader.GetInt64(0) / 1e6:F0} MB (with indexes and TOAST {reader.GetInt64(1) / 1e6:F0} MB), " +
                   $"templates with indexes {reader.GetInt64(2) / 1e6:F0} MB, of which the HNSW index {reader.GetInt64(3) / 1e6:F0} MB";
        }

        public async ValueTask DisposeAsync()
        {
            await _dataSource.DisposeAsync();
            if (!_ownsSchema) return;
            await using var admin = new NpgsqlConnection(_adminConnection);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP SCHEMA {_name} CASCADE", admin);
            await drop.ExecuteNonQueryAsync();
        }
    }
}
