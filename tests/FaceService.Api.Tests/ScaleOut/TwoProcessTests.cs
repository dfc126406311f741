using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using FaceService.Api.Tests.Infrastructure;
using FaceService.Storage;

namespace FaceService.Api.Tests.ScaleOut;

/// <summary>
/// Scale-out on one machine (docs/SCALING.md): two replicas of the built service, real OS processes, start at the same
/// moment against one fresh schema and serve one collection. Replica A enrolls the people of the dev set one at a time
/// while both replicas identify held-out photos of people already enrolled. Nothing may be cached per process: what
/// one replica writes, the other answers from at once.
/// </summary>
/// <remarks>
/// In the shared "api" collection so that it never runs beside the other API tests (2 cores; each replica loads the
/// models). Correctness only, never timing.
/// </remarks>
[Collection(ApiCollection.Name)]
public sealed class TwoProcessTests(ITestOutputHelper output)
{
    private const string Collection = "two-replicas";
    private const int AllCandidates = 100; // Recognition:MaxK, above the 24 people: every enrolled subject is listed
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Two_replicas_on_one_database_identify_correctly_while_one_enrolls()
    {
        var clock = Stopwatch.StartNew();
        await using var schema = await PrivateSchema.CreateAsync("two_replicas");
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:FaceStore"] = schema.ConnectionString,
            ["Inference:ModelsPath"] = Path.Combine(RepoPaths.Root, "models"),
            ["Auth:BootstrapAdminKey"] = ApiFactory.BootstrapAdminKey,
            // One intra-op thread per session: two replicas share 2 cores (docs/BENCHMARKS.md, pipeline).
            ["Inference:IntraOpThreads"] = "1",
            ["Serilog:MinimumLevel:Override:FaceService.Storage.DatabaseMigrator"] = "Information",
        };
        using var a = ApiProcess.Start("A", settings);
        using var b = ApiProcess.Start("B", settings);
        try
        {
            await Task.WhenAll(a.WaitUntilReadyAsync(StartTimeout), b.WaitUntilReadyAsync(StartTimeout));
            var started = clock.Elapsed;
            using var clientA = a.CreateClient(ApiFactory.BootstrapAdminKey);
            using var clientB = b.CreateClient(ApiFactory.BootstrapAdminKey);

            await AssertMigratedOnceAsync(schema, a, b);
            var run = new EnrollWhileIdentifying(clientA, clientB);
            await run.RunAsync();
            var enrolled = clock.Elapsed;
            var reference = await run.ReferenceAnswersAsync();
            run.CheckAnswersAgainst(reference, output);

            // Both replicas enroll one new photo of one person at the same moment: one face, the same id for both.
            var racedPhoto = run.RacedPhoto;
            var raced = await Task.WhenAll(
                clientA.EnrollOkAsync(Collection, run.Raced.Name, racedPhoto), clientB.EnrollOkAsync(Collection, run.Raced.Name, racedPhoto));
            Assert.Equal((string?)raced[0]["faces"]![0]!["faceId"], (string?)raced[1]["faces"]![0]!["faceId"]);

            // A subject erased through B is gone for A: by id, and from every identify answer.
            var erased = run.People.First(p => p != run.Raced);
            var deleted = await (await clientB.DeleteAsync(SubjectPath(erased.Name))).ReadAsync(HttpStatusCode.OK);
            Assert.Equal(1, (int)deleted["deletedFaces"]!);
            await (await clientA.GetAsync(SubjectPath(erased.Name))).ReadProblemAsync(HttpStatusCode.NotFound, "subject_not_found");
            foreach (var photo in erased.Photos)
            {
                var result = await clientA.IdentifyOkAsync(Collection, photo, k: AllCandidates, threshold: 4f);
                Assert.All(result["faces"]!.AsArray(), face =>
                    Assert.DoesNotContain(face!["candidates"]!.AsArray(), c => (string?)c!["subject"] == erased.Name));
            }

            // Row counts: one face per person plus the raced photo, less the erased person's; both replicas say the same.
            var expectedFaces = run.People.Count /* first photos */ + 1 /* raced photo */ - 1 /* erased person */;
            var expectedSubjects = run.People.Where(p => p != erased).Select(p => p.Name).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(expectedFaces, await schema.ScalarAsync<long>("SELECT count(*) FROM faces"));
            foreach (var client in new[] { clientA, clientB })
            {
                var collections = await (await client.GetAsync("/v1/collections")).ReadAsync(HttpStatusCode.OK);
                var listed = Assert.Single(collections["collections"]!.AsArray());
                Assert.Equal(Collection, (string?)listed!["collection"]);
                Assert.Equal(expectedFaces, (int)listed["faceCount"]!);
                Assert.Equal(expectedSubjects.Count, (int)listed["subjectCount"]!);
                var subjects = await (await client.GetAsync($"/v1/subjects?collection={Collection}&pageSize=100")).ReadAsync(HttpStatusCode.OK);
                Assert.Equal(expectedSubjects, subjects["items"]!.AsArray().Select(s => (string)s!["subject"]!).Order(StringComparer.Ordinal).ToList());
            }
            output.WriteLine($"Replicas ready after {started.TotalSeconds:F1} s; enroll phase ended at {enrolled.TotalSeconds:F1} s; " +
                             $"test done at {clock.Elapsed.TotalSeconds:F1} s.");
        }
        finally
        {
            output.WriteLine(a.Describe());
            output.WriteLine(b.Describe());
        }
    }

    /// <summary>
    /// Both came up (neither failed on the other's half-applied migrations), and the migrations were applied by exactly
    /// one of them: the other waited on the advisory lock and then found nothing to do.
    /// </summary>
    private static async Task AssertMigratedOnceAsync(PrivateSchema schema, ApiProcess a, ApiProcess b)
    {
        Assert.Equal(DatabaseMigrator.Migrations.Count, await schema.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));
        Assert.Equal(1L, await schema.ScalarAsync<long>(
            $"SELECT count(*) FROM pg_indexes WHERE schemaname = '{schema.Name}' AND indexname = '{DatabaseMigrator.SearchIndexName}'"));
        var applying = new[] { a, b }.Select(r => r.Output.Count(l => l.Contains("Applying migration 0001", StringComparison.Ordinal))).ToList();
        Assert.True(applying.Order().SequenceEqual([0, 1]), $"Expected exactly one replica to apply migration 0001; A logged it {applying[0]}, B {applying[1]} time(s).");
    }

    private static string SubjectPath(string subject) => $"/v1/subjects/{Uri.EscapeDataString(subject)}?collection={Collection}";

    /// <summary>One identify answer, with what had been enrolled around it.</summary>
    /// <param name="Acknowledged">Subjects whose enroll had answered 201 before this request was sent: must be visible.</param>
    /// <param name="Sent">Subjects whose enroll had been sent by the time this answer came back: nothing else may appear.</param>
    private sealed record Answer(string Replica, string Subject, string Probe, IReadOnlySet<string> Acknowledged, IReadOnlySet<string> Sent,
        int FaceCount, IReadOnlyList<string> Candidates)
    {
        public string? Top1 => Candidates.Count > 0 ? Candidates[0] : null;
    }

    /// <summary>
    /// Replica A enrolls each person's first photo, one request at a time; after each 201, replica B at once finds the
    /// subject by id and identifies one of the person's held-out photos; meanwhile one loop per replica identifies
    /// random held-out photos of people already enrolled.
    /// </summary>
    private sealed class EnrollWhileIdentifying(HttpClient clientA, HttpClient clientB)
    {
        private readonly ConcurrentDictionary<string, bool> _sent = new();
        private readonly ConcurrentDictionary<string, bool> _acknowledged = new();
        private readonly ConcurrentQueue<Answer> _answers = new();
        private readonly CancellationTokenSource _enrolling = new();
        private readonly Dictionary<string, DevPhotos.Person> _byName = DevPhotos.People.ToDictionary(p => p.Name);
        private int _loopAnswersA, _loopAnswersB;

        public IReadOnlyList<DevPhotos.Person> People { get; } = DevPhotos.People;

        /// <summary>The person with the most photos: its last photo is kept out of the probes for the enroll race.</summary>
        public DevPhotos.Person Raced => People.MaxBy(p => p.Photos.Count)!;

        public string RacedPhoto => Raced.Photos[^1];

        public async Task RunAsync()
        {
            var loops = Task.WhenAll(IdentifyWhileEnrollingAsync("A", clientA, 1), IdentifyWhileEnrollingAsync("B", clientB, 2));
            // The loops end when enrollment ends, however it ends; both are awaited so no request outlives the run.
            await Task.WhenAll(EnrollThroughAAsync(), loops);
            var loopAnswers = await loops;
            Assert.True(loopAnswers.All(n => n > 0), $"Identify answers during enrollment: A {loopAnswers[0]}, B {loopAnswers[1]}; both replicas must have served some.");
            (_loopAnswersA, _loopAnswersB) = (loopAnswers[0], loopAnswers[1]);
        }

        /// <summary>
        /// Every probe that was asked during enrollment, once more against the full gallery (before the race adds a
        /// face), half through each replica.
        /// </summary>
        public async Task<IReadOnlyDictionary<string, Answer>> ReferenceAnswersAsync()
        {
            var probes = _answers.Select(a => (Person: _byName[a.Subject], Photo: a.Probe)).Distinct().ToList();
            var halves = await Task.WhenAll(
                IdentifyAllAsync("A", clientA, probes.Where((_, i) => i % 2 == 0)),
                IdentifyAllAsync("B", clientB, probes.Where((_, i) => i % 2 == 1)));
            return halves.SelectMany(h => h).ToDictionary(answer => answer.Probe);

            async Task<List<Answer>> IdentifyAllAsync(string replica, HttpClient client, IEnumerable<(DevPhotos.Person Person, string Photo)> some)
            {
                var answers = new List<Answer>();
                foreach (var (person, photo) in some) answers.Add(await IdentifyAsync(replica, client, person, photo));
                return answers;
            }
        }

        /// <summary>
        /// The full gallery is a superset of what any earlier answer searched, with the same faces: a probe whose nearest
        /// subject is right against all of it was right against every part that held the subject. So every answer
        /// given during enrollment must list exactly the subjects enrolled around it, and name the right person first
        /// wherever the reference does.
        /// </summary>
        public void CheckAnswersAgainst(IReadOnlyDictionary<string, Answer> reference, ITestOutputHelper output)
        {
            var everyone = People.Select(p => p.Name).ToHashSet();
            var right = reference.Values.Count(r => r.Top1 == r.Subject);
            var misses = reference.Values.Where(r => r.Top1 != r.Subject).Select(r => $"{Path.GetFileName(r.Probe)} -> {r.Top1 ?? "no face"}").ToList();
            output.WriteLine($"Reference (all {People.Count} enrolled): top-1 right for {right} of the {reference.Count} held-out probes asked; " +
                             $"misses: {(misses.Count == 0 ? "none" : string.Join(", ", misses))}.");
            Assert.True(right >= 0.9 * reference.Count, $"Top-1 right for only {right} of {reference.Count} probes against the full gallery.");
            Assert.All(reference.Values.Where(r => r.FaceCount > 0), r => Assert.True(r.Candidates.ToHashSet().SetEquals(everyone),
                $"{r.Replica}: {Path.GetFileName(r.Probe)} listed {r.Candidates.Count} subjects, not the {everyone.Count} enrolled."));

            var answers = _answers.ToList();
            output.WriteLine($"{answers.Count} identify answers during enrollment: {answers.Count(x => x.Replica == "A")} from A, " +
                             $"{answers.Count(x => x.Replica == "B")} from B ({_loopAnswersA} / {_loopAnswersB} from the loops, the rest right after each enroll).");
            Assert.All(answers, answer =>
            {
                var expected = reference[answer.Probe];
                var what = $"{answer.Replica}: {Path.GetFileName(answer.Probe)} with {answer.Acknowledged.Count} subjects acknowledged";
                Assert.True(expected.FaceCount == answer.FaceCount, $"{what}: {answer.FaceCount} faces, {expected.FaceCount} in the reference.");
                if (answer.FaceCount == 0) return;
                var missing = answer.Acknowledged.Except(answer.Candidates).ToList();
                Assert.True(missing.Count == 0, $"{what}: enrolled subjects not visible (stale): {string.Join(", ", missing)}.");
                var phantom = answer.Candidates.Except(answer.Sent).ToList();
                Assert.True(phantom.Count == 0, $"{what}: subjects never sent for enrollment: {string.Join(", ", phantom)}.");
                if (expected.Top1 == answer.Subject)
                    Assert.True(answer.Top1 == answer.Subject, $"{what}: top-1 {answer.Top1}, expected {answer.Subject}.");
            });
        }

        private IEnumerable<string> Probes(DevPhotos.Person person) => person.Photos.Skip(1).Where(photo => photo != RacedPhoto);

        private async Task EnrollThroughAAsync()
        {
            try
            {
                foreach (var person in People)
                {
                    _sent[person.Name] = true;
                    await clientA.EnrollOkAsync(Collection, person.Name, person.Photos[0]);
                    _acknowledged[person.Name] = true;
                    var subject = await (await clientB.GetAsync(SubjectPath(person.Name))).ReadAsync(HttpStatusCode.OK);
                    Assert.Equal(1, (int)subject["faceCount"]!);
                    _answers.Enqueue(await IdentifyAsync("B", clientB, person, Probes(person).First()));
                }
            }
            finally
            {
                await _enrolling.CancelAsync();
            }
        }

        private async Task<int> IdentifyWhileEnrollingAsync(string replica, HttpClient client, int seed)
        {
            var random = new Random(seed);
            var count = 0;
            while (!_enrolling.IsCancellationRequested)
            {
                // One request per replica and enroll step: it overlaps the next enroll and B's check, and leaves the
                // 2-core machine enough time for the enrolls themselves.
                var enrolled = _acknowledged.Keys.ToList();
                if (enrolled.Count == count)
                {
                    await Task.Delay(20);
                    continue;
                }
                var person = _byName[enrolled[random.Next(enrolled.Count)]];
                var probes = Probes(person).ToList();
                _answers.Enqueue(await IdentifyAsync(replica, client, person, probes[random.Next(probes.Count)]));
                count++;
            }
            return count;
        }

        private async Task<Answer> IdentifyAsync(string replica, HttpClient client, DevPhotos.Person person, string probe)
        {
            var acknowledged = _acknowledged.Keys.ToHashSet();
            var result = await client.IdentifyOkAsync(Collection, probe, k: AllCandidates);
            var sent = _sent.Keys.ToHashSet();
            var faces = result["faces"]!.AsArray();
            var candidates = faces.Count == 0
                ? []
                : faces[0]!["candidates"]!.AsArray().Select(c => (string)c!["subject"]!).ToList();
            return new Answer(replica, person.Name, probe, acknowledged, sent, faces.Count, candidates);
        }
    }
}
