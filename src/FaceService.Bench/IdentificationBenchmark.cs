using FaceService.CommandLine;
using FaceService.Core.Calibration;
using FaceService.Core.Embeddings;
using FaceService.Core.Services;
using FaceService.Core.Storage;
using FaceService.Evaluation;
using Microsoft.Extensions.Options;

namespace FaceService.Bench;

/// <summary>
/// `identification`: open-set identification on the calibration photos (<see cref="LabelledCodes"/>), in memory: galleries
/// of one photo per person; mated searches are the other photos of enrolled people, stranger searches the photos of
/// people left out. Every person with two or more photos is enrolled in every gallery (their enrolled photo rotates
/// over the draws), the rest of the gallery is drawn from the people with one photo, and the people not drawn are the
/// strangers; "all" enrols everyone but a tenth of the one-photo people, a different tenth in each draw.
/// Each search is answered as the service answers it: the k nearest subjects, the threshold of
/// <see cref="MatchDecisions"/> for the gallery's size, <see cref="IdentityAssignment"/>. Reported per gallery size:
/// FPIR and FNIR at the default decision with the FPIR the calibration predicts, the rank-1 rate, and FPIR against
/// FNIR for a range of target rates and the previous fixed threshold.
/// Options: those of <see cref="LabelledCodes"/>, --galleries "100,1000,all", --draws 10, --seed 1, --models (the
/// calibration's folder; default the repository's models/).
/// </summary>
public static class IdentificationBenchmark
{
    private static readonly double[] CurveRates = [1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1];

    /// <summary>The fixed identify threshold before thresholds were set by rate: what the issue measured 80 % FPIR with.</summary>
    private const float PreviousThreshold = VerificationDefaults.Threshold;

    public static int Run(ToolArguments args)
    {
        Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"machine: {BenchMachine.DescribeMachine()}");
        var set = LabelledCodes.Load(args);
        var models = args.Get("models", Path.Combine(LabelledPhotoSet.RepositoryRoot(AppContext.BaseDirectory), "models"));
        var calibration = DistanceCalibration.Load(models, set.ModelId);
        var options = new RecognitionOptions();
        var decisions = new MatchDecisions(calibration, Options.Create(options));
        Console.WriteLine($"model {set.ModelId}; {set.Settings}");
        Console.WriteLine($"calibration: {calibration.Description}");

        var people = set.Photos.Where(p => p.Code is not null).GroupBy(p => p.Person).Select(g => (Name: g.Key, Codes: g.Select(p => p.Code!).ToList())).ToList();
        var mated = people.Where(p => p.Codes.Count >= 2).ToList();
        var single = people.Where(p => p.Codes.Count == 1).ToList();
        var draws = args.Get("draws", 10);
        var random = new Random(args.Get("seed", 1));
        Console.WriteLine($"{people.Count} people with a face: {mated.Count} with two or more photos ({mated.Sum(p => p.Codes.Count)} photos), " +
                          $"{single.Count} with one; {draws} draws per gallery size, k {options.DefaultK}; " +
                          $"default decision: at most {options.IdentifyMaxFalsePositiveIdentificationRate:P0} of strangers matched");

        var defaultRule = decisions.ForIdentify(threshold: null, maxFalsePositiveIdentificationRate: null);
        var curveRules = CurveRates.Select(rate => (Name: $"FPIR {rate:0.###%}", Rule: decisions.ForIdentify(null, rate))).ToList();
        var fixedRule = decisions.ForIdentify(PreviousThreshold, null);
        foreach (var size in args.Get("galleries", "100,1000,all").Split(',', StringSplitOptions.TrimEntries))
        {
            var galleries = Enumerable.Range(0, draws).Select(draw => Draw(size, draw, draws, mated, single, random)).ToList();
            var searches = galleries.Select(g => Search(g, options.DefaultK)).ToList();
            var faces = galleries.Select(g => (long)g.Enrolled.Count).ToList();

            var atDefault = Evaluate(defaultRule, faces, searches);
            Console.WriteLine();
            Console.WriteLine($"gallery {size}: {faces.Min()}..{faces.Max()} faces, {atDefault.Result.MatedSearches} mated and " +
                              $"{atDefault.Result.StrangerSearches} stranger searches over {draws} draws; rank-1 {atDefault.Result.Rank1Rate:P1}");
            Console.WriteLine($"  {"decision",-26} {"threshold",9} {"FPIR predicted",15} {"FPIR measured",14} {"FNIR",7}");
            foreach (var (name, rule) in curveRules.Prepend(("default", defaultRule)).Append(($"fixed {PreviousThreshold} (before)", fixedRule)))
            {
                var (result, threshold, predicted) = Evaluate(rule, faces, searches);
                Console.WriteLine($"  {name,-26} {threshold,9:F4} {predicted,15:P2} {result.FalsePositiveIdentificationRate,14:P2} " +
                                  $"{result.FalseNegativeIdentificationRate,7:P1}   ({result.FalsePositives} of {result.StrangerSearches} strangers matched)");
            }
        }
        return 0;
    }

    private sealed record Gallery(List<(string Person, sbyte[] Code)> Enrolled, List<(string? Mate, sbyte[] Code)> Probes);

    private static Gallery Draw(string size, int draw, int draws, List<(string Name, List<sbyte[]> Codes)> mated,
        List<(string Name, List<sbyte[]> Codes)> single, Random random)
    {
        var enrolled = new List<(string, sbyte[])>();
        var probes = new List<(string?, sbyte[])>();
        foreach (var (name, codes) in mated)
        {
            // The enrolled photo rotates over the draws, so every photo is enrolled and searched with.
            var chosen = draw % codes.Count;
            enrolled.Add((name, codes[chosen]));
            probes.AddRange(codes.Where((_, i) => i != chosen).Select(code => ((string?)name, code)));
        }
        List<(string Name, List<sbyte[]> Codes)> strangers;
        if (size == "all")
        {
            // One order in every draw (by a hash of the name), a different tenth of it left out each time.
            var order = single.OrderBy(p => StableHash(p.Name)).ToList();
            strangers = order.Where((_, i) => i % draws == draw).ToList();
            enrolled.AddRange(order.Where((_, i) => i % draws != draw).Select(p => (p.Name, p.Codes[0])));
        }
        else
        {
            var wanted = int.Parse(size) - mated.Count;
            if (wanted < 0 || wanted >= single.Count) throw new ArgumentException($"A gallery of {size} needs {mated.Count} to {mated.Count + single.Count - 1} people.");
            var shuffled = single.OrderBy(_ => random.Next()).ToList();
            enrolled.AddRange(shuffled.Take(wanted).Select(p => (p.Name, p.Codes[0])));
            strangers = shuffled.Skip(wanted).ToList();
        }
        probes.AddRange(strangers.Select(p => ((string?)null, p.Codes[0])));
        return new Gallery(enrolled, probes);
    }

    private static int StableHash(string text) => text.Aggregate(17, (h, c) => unchecked(h * 31 + c));

    /// <summary>Every probe against the gallery: the k nearest subjects, nearest first, as the store returns them.</summary>
    private static List<IdentificationSearch> Search(Gallery gallery, int k)
    {
        var quantizer = new EmbeddingQuantizer();
        var searches = new IdentificationSearch[gallery.Probes.Count];
        Parallel.For(0, searches.Length, i =>
        {
            var (mate, code) = gallery.Probes[i];
            var nearest = gallery.Enrolled.Select(e => new FaceMatch(Guid.Empty, e.Person, quantizer.SquaredDistance(code, e.Code)))
                .OrderBy(m => m.Distance).Take(k).ToList();
            searches[i] = new IdentificationSearch(mate, nearest);
        });
        return [.. searches];
    }

    /// <summary>The rule's decision in each draw's gallery, pooled; the threshold and predicted FPIR are means over the draws.</summary>
    private static (OpenSetResult Result, float Threshold, double PredictedFpir) Evaluate(MatchDecisions.DecisionRule rule, List<long> faces,
        List<List<IdentificationSearch>> searches)
    {
        var decisions = faces.Select(rule.ForComparisons).ToList();
        var result = searches.Select((s, d) => OpenSetIdentification.Evaluate(s, decisions[d].Threshold)).Aggregate(OpenSetResult.None, (a, b) => a + b);
        return (result, decisions.Average(d => d.Threshold), decisions.Average(d => d.ThresholdRate));
    }
}
