using FaceService.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace FaceService.Bench;

/// <summary>
/// Steady-concurrency load against a running FaceService on loopback:
/// `load --url http://127.0.0.1:18080 --concurrency 8 --seconds 600 --endpoint identify|verify|detect|enroll|mixed [--pid N]`.
/// Each worker sends its next request as soon as the previous one is answered, for a fixed time, then stops. Reports
/// throughput, latency percentiles, answers by status and code, and the service's resident memory (given its pid).
/// <c>mixed</c> draws each request from identify 30 %, verify 20 %, detect 20 %, enroll 15 % (a new subject, two
/// photos), erase 10 % (the worker's oldest subject enrolled in this run, so the table does not only grow) and cluster
/// of the gallery collection 5 %, and reports each kind on its own line.
/// Options: --collection (default "load"), --api-key (or env FACESERVICE_API_KEY), --api-key-header (default
/// X-Api-Key), --timeout-ms per request (default 30000), --report-seconds between progress lines (default 60),
/// --log FILE (one line per request: start unix ms, latency ms, status, code, Retry-After, face ids), --photos DIR.
/// </summary>
public static class LoadTest
{
    private const int MaxSeconds = 4 * 3600;

    private sealed record Outcome(string Operation, long StartUnixMs, double LatencyMs, int Status, string Code, string RetryAfter, string FaceIds);

    // The mixed load's draw, out of 100.
    private static readonly (string Operation, int Weight)[] Mix =
        [("identify", 30), ("verify", 20), ("detect", 20), ("enroll", 15), ("erase", 10), ("cluster", 5)];

    public static int Run(ToolArguments args)
    {
        var url = new Uri(args.Get("url", "http://127.0.0.1:18080"));
        if (!url.IsLoopback) throw new ArgumentException($"--url must be a loopback address (got {url.Host}): this client only loads a local service.");
        var concurrency = args.Get("concurrency", 8);
        var seconds = args.Get("seconds", 60);
        if (concurrency is < 1 or > 1024) throw new ArgumentException("--concurrency must be 1..1024.");
        if (seconds is < 1 or > MaxSeconds) throw new ArgumentException($"--seconds must be 1..{MaxSeconds}.");
        var endpoint = args.Get("endpoint", "identify").ToLowerInvariant();
        if (endpoint is not ("identify" or "verify" or "detect" or "enroll" or "mixed"))
            throw new ArgumentException("--endpoint must be identify, verify, detect, enroll or mixed.");
        var collection = args.Get("collection", "load");
        var pid = args.Get("pid", 0);
        var reportEvery = TimeSpan.FromSeconds(args.Get("report-seconds", 60));
        var logPath = args.Get("log", "");
        var apiKey = args.Get("api-key", Environment.GetEnvironmentVariable("FACESERVICE_API_KEY") ?? "");

        var photos = DevPhotos.Load(args.Get("photos", null!), includeGroups: false);
        var people = photos.GroupBy(p => p.Path.Split('/')[0]).Select(g => g.ToArray()).Where(g => g.Length >= 2).ToArray();

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = url,
            Timeout = TimeSpan.FromMilliseconds(args.Get("timeout-ms", 30_000)),
        };
        if (apiKey.Length > 0) http.DefaultRequestHeaders.Add(args.Get("api-key-header", "X-Api-Key"), apiKey);

        Console.WriteLine($"# load {endpoint}: {url} concurrency {concurrency} for {seconds} s; {BenchMachine.DescribeMachine()}");
        if (endpoint is "identify" or "mixed") EnrollGalleryAsync(http, collection, people).GetAwaiter().GetResult();

        var runId = DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
        var outcomes = new List<Outcome>[concurrency];
        var rssStart = ResidentBytes(pid);
        var clock = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(seconds);
        var workers = Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            var mine = outcomes[worker] = [];
            var random = new Random(worker);
            var enrolled = new Queue<string>();
            for (var n = 0; clock.Elapsed < deadline; n++)
            {
                var person = people[random.Next(people.Length)];
                var operation = endpoint == "mixed" ? Draw(random, enrolled.Count) : endpoint;
                var subject = $"load-{runId}-{worker}-{n}";
                using var request = operation switch
                {
                    "detect" => Post("/v1/detect", Form(("image", person[random.Next(person.Length)]))),
                    "verify" => Post("/v1/verify", Form(("image1", person[0]), ("image2", person[1 + random.Next(person.Length - 1)]))),
                    "identify" => Post("/v1/identify", Form(("image", person[1 + random.Next(person.Length - 1)])).With("collection", collection)),
                    "erase" => new HttpRequestMessage(HttpMethod.Delete, $"/v1/subjects/{enrolled.Dequeue()}?collection={collection}"),
                    "cluster" => Post("/v1/cluster", JsonContent.Create(new { collection })),
                    // Two photos per enrollment, so that a half-written enrollment (one face of two) would show.
                    _ => Post("/v1/enroll", Form(("image", person[0]), ("image", person[1 + random.Next(person.Length - 1)]))
                        .With("collection", collection).With("subject", subject)),
                };
                var outcome = await SendAsync(http, operation, request);
                if (operation == "enroll" && endpoint == "mixed" && outcome.Status == 201) enrolled.Enqueue(subject);
                lock (mine) mine.Add(outcome);
            }
            // What the mixed load enrolled and did not erase goes now (not measured), so that a run leaves the gallery as it found it.
            while (enrolled.TryDequeue(out var left))
                await SendAsync(http, "cleanup", new HttpRequestMessage(HttpMethod.Delete, $"/v1/subjects/{left}?collection={collection}"));
        })).ToArray();

        var lastReportUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        while (!Task.WaitAll(workers, reportEvery))
        {
            // The interval's requests: those answered since the last line.
            var interval = Snapshot(outcomes).Where(o => o.StartUnixMs + o.LatencyMs > lastReportUnixMs).ToList();
            lastReportUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            Console.WriteLine($"{clock.Elapsed.TotalSeconds,6:F0} s  {Describe(interval, reportEvery.TotalSeconds)}  rss {Mib(ResidentBytes(pid))}");
        }
        var elapsed = clock.Elapsed.TotalSeconds;
        var all = Snapshot(outcomes);
        var rssEnd = ResidentBytes(pid);

        Console.WriteLine($"total  {Describe(all, elapsed)}");
        if (endpoint == "mixed")
            foreach (var operation in Mix.Select(m => m.Operation))
                Console.WriteLine($"  {operation,-9} {Describe(all.Where(o => o.Operation == operation).ToList(), elapsed)}");
        foreach (var group in all.GroupBy(o => (o.Status, o.Code)).OrderBy(g => g.Key.Status))
            Console.WriteLine($"  {group.Key.Status} {(group.Key.Code.Length > 0 ? group.Key.Code : "-")}: {group.Count()}");
        if (pid > 0) Console.WriteLine($"service rss: start {Mib(rssStart)}, end {Mib(rssEnd)}, peak (VmHWM) {Mib(ResidentBytes(pid, "VmHWM:"))}");
        if (logPath.Length > 0)
            File.WriteAllLines(logPath, all.OrderBy(o => o.StartUnixMs).Select(o => string.Join('\t',
                o.StartUnixMs, o.LatencyMs.ToString("F1", CultureInfo.InvariantCulture), o.Status, o.Code, o.RetryAfter, o.FaceIds)));
        return all.Any(o => o.Status is < 200 or >= 300) ? 1 : 0;
    }

    /// <summary>The identify gallery: each person's first photo, enrolled once (enrolling the same bytes again is a no-op).</summary>
    private static async Task EnrollGalleryAsync(HttpClient http, string collection, DevPhotos.Photo[][] people)
    {
        foreach (var person in people)
        {
            using var form = Form(("image", person[0])).With("collection", collection).With("subject", person[0].Path.Split('/')[0]);
            var outcome = await SendAsync(http, "gallery", Post("/v1/enroll", form));
            if (outcome.Status != 201) throw new InvalidOperationException($"Enrolling the gallery failed: {outcome.Status} {outcome.Code}");
        }
        Console.WriteLine($"# gallery: {people.Length} subjects in collection '{collection}'");
    }

    /// <summary>The next operation of a mixed load: an erase only when the worker has a subject of its own to erase.</summary>
    private static string Draw(Random random, int enrolledByWorker)
    {
        var pick = random.Next(100);
        foreach (var (operation, weight) in Mix)
        {
            if (pick < weight) return operation == "erase" && enrolledByWorker == 0 ? "enroll" : operation;
            pick -= weight;
        }
        return Mix[^1].Operation;
    }

    private static HttpRequestMessage Post(string path, HttpContent content) => new(HttpMethod.Post, path) { Content = content };

    private static async Task<Outcome> SendAsync(HttpClient http, string operation, HttpRequestMessage request)
    {
        var startUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var watch = Stopwatch.StartNew();
        try
        {
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsByteArrayAsync();
            watch.Stop();
            var (code, faceIds) = ReadBody(body, (int)response.StatusCode);
            return new Outcome(operation, startUnixMs, watch.Elapsed.TotalMilliseconds, (int)response.StatusCode, code,
                response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(CultureInfo.InvariantCulture) ?? "", faceIds);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // Status 0: no answer (refused connection, reset, client timeout).
            return new Outcome(operation, startUnixMs, watch.Elapsed.TotalMilliseconds, 0, e is TaskCanceledException ? "client_timeout" : "no_answer", "", "");
        }
    }

    /// <summary>The problem's code of an error; the face ids of an enrollment.</summary>
    private static (string Code, string FaceIds) ReadBody(byte[] body, int status)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            if (status >= 300)
                return (json.RootElement.TryGetProperty("code", out var code) ? code.GetString() ?? "" : "", "");
            return ("", json.RootElement.TryGetProperty("faces", out var faces) && faces.ValueKind == JsonValueKind.Array
                ? string.Join(';', faces.EnumerateArray().Where(f => f.TryGetProperty("faceId", out _)).Select(f => f.GetProperty("faceId").GetString()))
                : "");
        }
        catch (JsonException)
        {
            return (status >= 300 ? "not_json" : "", "");
        }
    }

    private static List<Outcome> Snapshot(List<Outcome>?[] outcomes)
    {
        var all = new List<Outcome>();
        foreach (var list in outcomes)
            if (list is not null)
                lock (list) all.AddRange(list);
        return all;
    }

    private static string Describe(IReadOnlyCollection<Outcome> outcomes, double seconds)
    {
        if (outcomes.Count == 0) return "no requests";
        var ok = outcomes.Where(o => o.Status is >= 200 and < 300).Select(o => o.LatencyMs).Order().ToArray();
        var errors = outcomes.Count - ok.Length;
        return ok.Length == 0
            ? $"{outcomes.Count} requests, all errors"
            : $"{outcomes.Count} requests, {outcomes.Count / seconds:F2} req/s, ok p50 {Percentile(ok, 0.50):F0} ms p99 {Percentile(ok, 0.99):F0} ms max {ok[^1]:F0} ms, errors {errors}";
    }

    private static double Percentile(double[] sorted, double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];

    /// <summary>VmRSS (or another /proc status field) of a process, in bytes; 0 without a pid.</summary>
    private static long ResidentBytes(int pid, string field = "VmRSS:")
    {
        if (pid <= 0) return 0;
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }

    private static string Mib(long bytes) => bytes == 0 ? "n/a" : $"{bytes / (1024.0 * 1024):F0} MiB";

    private static MultipartFormDataContent Form(params (string Field, DevPhotos.Photo Photo)[] files)
    {
        var form = new MultipartFormDataContent();
        foreach (var (field, photo) in files)
        {
            var part = new ByteArrayContent(photo.Bytes);
            part.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            form.Add(part, field, Path.GetFileName(photo.Path));
        }
        return form;
    }

    private static MultipartFormDataContent With(this MultipartFormDataContent form, string field, string value)
    {
        form.Add(new StringContent(value, Encoding.UTF8), field);
        return form;
    }
}
