using FaceService.Core.Calibration;
using FaceService.Core.Embeddings;

namespace FaceService.Evaluation;

/// <summary>
/// Measures the templates and identification sections of a model's calibration from labelled people
/// (<see cref="CalibrationTemplates"/>, <see cref="CalibrationIdentification"/>): how much nearer a template of m faces
/// is to everyone else than one face, and how far strangers' nearest subjects stand out from the rest, by gallery size.
/// </summary>
public static class GalleryCalibrationBuilder
{
    /// <summary>Nearest subjects a candidate is judged among (itself included): 5 beat 2, 10 and 20 on lfw-dev + lfw-people (docs/ACCURACY.md).</summary>
    public const int Cohort = 5;

    /// <summary>Template sizes are measured while at least this many people have that many photos.</summary>
    public const int MinimumTemplatePeople = 20;

    /// <summary>Template sizes measured at most; larger templates take the last scale.</summary>
    public const int MaxTemplateFaces = 20;

    /// <summary>Templates drawn per size (random photos of the eligible people, several draws each).</summary>
    public const int TemplatesPerSize = 2000;

    /// <summary>The rates at which single faces and templates are compared; a rate counts where ≥ 100 pairs lie at or below it.</summary>
    public static readonly double[] ScaleRates = [1e-2, 3e-3, 1e-3, 3e-4, 1e-4];

    public const int MinimumMeasuredPairs = 100;

    /// <summary>Gallery sizes of the stranger tables (those leaving at least <see cref="MinimumStrangers"/> people out),
    /// plus the largest the people allow.</summary>
    public static readonly int[] GallerySizes = [1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

    public const int MinimumStrangers = 200;

    /// <summary>A gallery subject is a template of 1 to this many of its person's photos (as many as they have).</summary>
    public const int MaxGalleryTemplateFaces = 5;

    /// <summary>Stranger searches per gallery size.</summary>
    public const int SearchesPerSize = 20_000;

    /// <summary>The rates a stranger table gives statistics for, where at least <see cref="MinimumTailSearches"/> searches lie at or below.</summary>
    public static readonly double[] TableRates = [1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9];

    public const int MinimumTailSearches = 20;

    /// <summary>
    /// For templates of 1 to <see cref="MaxTemplateFaces"/> faces (while <see cref="MinimumTemplatePeople"/> people have
    /// that many photos): the distances at which templates and faces of other people reach each of
    /// <see cref="ScaleRates"/>; the scale of m faces is the geometric mean over those rates of the one-face distance
    /// over the m-face distance, never below a smaller template's.
    /// </summary>
    public static CalibrationTemplates MeasureTemplates(IReadOnlyList<LabelledPerson> people, string sets, int seed)
    {
        var quantizer = new EmbeddingQuantizer();
        var random = new Random(seed);
        var probes = people.SelectMany((p, i) => p.Codes.Select(c => (Person: i, Vector: quantizer.Dequantize(c)))).ToArray();
        var scales = new List<TemplateScale>();
        Dictionary<double, float>? oneFace = null;
        for (var faces = 1; faces <= MaxTemplateFaces; faces++)
        {
            var eligible = Enumerable.Range(0, people.Count).Where(i => people[i].Codes.Count >= faces).ToList();
            if (eligible.Count < MinimumTemplatePeople) break;
            var draws = (TemplatesPerSize + eligible.Count - 1) / eligible.Count;
            var templates = eligible.SelectMany(i => Enumerable.Range(0, draws).Select(_ =>
                (Person: i, Vector: SubjectTemplate.Combine(quantizer, Draw(people[i].Codes, faces, random))))).ToList();
            var distances = new List<float>[templates.Count];
            Parallel.For(0, templates.Count, t =>
            {
                var (person, vector) = templates[t];
                var own = new List<float>(probes.Length);
                foreach (var probe in probes)
                    if (probe.Person != person)
                        own.Add(Math.Clamp(2 - 2 * System.Numerics.Tensors.TensorPrimitives.Dot(vector, probe.Vector), 0f, 4f));
                distances[t] = own;
            });
            var pairs = new DistanceDistribution(distances.SelectMany(d => d));
            var atRates = ScaleRates.Where(r => r * pairs.Count >= MinimumMeasuredPairs).ToDictionary(r => r, r => pairs.Quantile(r));
            oneFace ??= atRates;
            var shared = atRates.Keys.Where(oneFace.ContainsKey).ToList();
            var scale = faces == 1 || shared.Count == 0 ? 1 : Math.Exp(shared.Average(r => Math.Log(oneFace[r] / atRates[r])));
            scale = Math.Max(scale, scales.Count > 0 ? scales[^1].DistanceScale : 1);
            scales.Add(new TemplateScale(faces, scale, templates.Count, pairs.Count));
        }
        return new CalibrationTemplates(sets, scales);
    }

    /// <summary>
    /// Stranger tables for the gallery sizes the people allow: galleries of random people (each a template of some of
    /// their photos), every other person a stranger searching with one random photo; the statistic of each stranger's
    /// surest candidate, as identify ranks them.
    /// </summary>
    public static IReadOnlyList<StrangerTable> BuildStrangerTables(IReadOnlyList<LabelledPerson> people, CandidateRanking ranking, int seed,
        int searchesPerSize = SearchesPerSize)
    {
        var random = new Random(seed);
        var sizes = GallerySizes.Where(n => n <= people.Count - MinimumStrangers).ToList();
        if (people.Count - MinimumStrangers > sizes[^1] * 1.2) sizes.Add(people.Count - MinimumStrangers);
        return sizes.Select(n => StrangerTableFor(n, StrangerStatistics(people, n, ranking, searchesPerSize, random), people.Count)).ToList();
    }

    /// <summary>
    /// The tables tested on people they were not built from: the people split in two at random, tables built from each
    /// half; galleries and strangers drawn from the other half say what share of strangers each target rate really
    /// matches (both folds pooled).
    /// </summary>
    public static IReadOnlyList<IdentificationCheck> Check(IReadOnlyList<LabelledPerson> people, DistanceCalibration distances,
        CalibrationTemplates templates, IReadOnlyList<double> targetRates, int seed)
    {
        var random = new Random(seed);
        var inFirst = people.Select(_ => random.Next(2) == 0).ToArray();
        var halves = new[] { people.Where((_, i) => inFirst[i]).ToList(), people.Where((_, i) => !inFirst[i]).ToList() };
        var ranking = new CandidateRanking(distances, templates.Scales.Select(s => s.DistanceScale).ToList(), Cohort);
        var testSize = halves.Min(h => h.Count) - MinimumStrangers;
        var sizes = new[] { 10, 100, testSize }.Where(n => n >= 1 && n <= testSize).Distinct().ToArray();
        var accepted = new int[sizes.Length, targetRates.Count];
        var searched = new int[sizes.Length];
        for (var fold = 0; fold < 2; fold++)
        {
            var (build, test) = (halves[fold], halves[1 - fold]);
            var gallery = new GalleryCalibration(distances, templates,
                new CalibrationIdentification("check", Cohort, BuildStrangerTables(build, ranking, seed + fold), []));
            for (var s = 0; s < sizes.Length; s++)
            {
                var statistics = StrangerStatistics(test, sizes[s], ranking, SearchesPerSize / 2, random);
                searched[s] += statistics.Length;
                for (var r = 0; r < targetRates.Count; r++)
                {
                    var limit = gallery.StatisticFor(targetRates[r], sizes[s]);
                    accepted[s, r] += statistics.Count(x => x <= limit);
                }
            }
        }
        return sizes.SelectMany((n, s) => targetRates.Select((rate, r) => new IdentificationCheck(rate, n, searched[s], (double)accepted[s, r] / searched[s])))
            .ToList();
    }

    private static double[] StrangerStatistics(IReadOnlyList<LabelledPerson> people, int subjects, CandidateRanking ranking, int searches, Random random)
    {
        var quantizer = new EmbeddingQuantizer();
        var fetch = ranking.CandidatesToFetch(1);
        var statistics = new List<double>(searches + people.Count);
        while (statistics.Count < searches)
        {
            var order = Enumerable.Range(0, people.Count).OrderBy(_ => random.Next()).ToArray();
            var gallery = new InMemoryGallery(quantizer, order.Take(subjects).Select(i =>
                (people[i].Name, (IReadOnlyList<sbyte[]>)Draw(people[i].Codes, random.Next(1, Math.Min(people[i].Codes.Count, MaxGalleryTemplateFaces) + 1), random))).ToList());
            var probes = order.Skip(subjects).Select(i => people[i].Codes[random.Next(people[i].Codes.Count)]).ToArray();
            var found = new double[probes.Length];
            Parallel.For(0, probes.Length, p => found[p] = ranking.Rank(gallery.Nearest(probes[p], fetch))[0].Statistic);
            statistics.AddRange(found);
        }
        return [.. statistics];
    }

    /// <summary>
    /// The table of measured statistics: a point at each of <see cref="TableRates"/> that enough searches reach, one at
    /// the largest statistic (rate 1), and the exponential tail below the lowest point fitted by maximum likelihood to
    /// the statistics under it. Each rate is stated one standard error high (Wilson's bound): the searches repeat the
    /// same <paramref name="people"/> strangers, so a rate is known no better than from that many, and the service
    /// promises at most its rate.
    /// </summary>
    public static StrangerTable StrangerTableFor(int subjects, IReadOnlyList<double> measured, int people)
    {
        var sorted = measured.Order().ToArray();
        var n = sorted.Length;
        var points = new List<StrangerPoint>();
        foreach (var rate in TableRates.Where(r => r * n >= MinimumTailSearches))
        {
            var statistic = sorted[(int)Math.Ceiling(rate * n) - 1];
            if (points.Count > 0 && statistic <= points[^1].Statistic) continue;
            points.Add(new StrangerPoint(statistic, UpperRate((double)CountAtOrBelow(sorted, statistic) / n, people)));
        }
        if (points.Count == 0 || sorted[^1] > points[^1].Statistic) points.Add(new StrangerPoint(sorted[^1], 1));
        else points[^1] = points[^1] with { Rate = 1 };
        var lowest = points[0].Statistic;
        var under = sorted.TakeWhile(s => s < lowest).ToArray();
        var slope = under.Length > 0 ? under.Length / under.Sum(s => lowest - s) : 1;
        return new StrangerTable(subjects, n, slope, points);
    }

    /// <summary>Wilson's score bound one standard error above a share <paramref name="p"/> of <paramref name="n"/>.</summary>
    private static double UpperRate(double p, int n) =>
        Math.Min(1, (p + 1.0 / (2 * n) + Math.Sqrt(p * (1 - p) / n + 1.0 / (4.0 * n * n))) / (1 + 1.0 / n));

    private static int CountAtOrBelow(double[] sorted, double value)
    {
        var i = Array.BinarySearch(sorted, value);
        if (i < 0) return ~i;
        while (i + 1 < sorted.Length && sorted[i + 1] == value) i++;
        return i + 1;
    }

    private static List<sbyte[]> Draw(IReadOnlyList<sbyte[]> codes, int count, Random random) =>
        codes.OrderBy(_ => random.Next()).Take(count).ToList();
}
