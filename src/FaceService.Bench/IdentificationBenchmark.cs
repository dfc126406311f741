using FaceService.CommandLine;
using FaceService.Core.Calibration;
using FaceService.Core.Embeddings;
using FaceService.Core.Services;
using FaceService.Evaluation;
using Microsoft.Extensions.Options;

namespace FaceService.Bench;

/// <summary>
/// `identification`: open-set identification on the calibration photos (<see cref="LabelledCodes"/>, by default
/// lfw-dev, the dev set and lfw-people), in memory, answered as the service answers (<see cref="InMemoryGallery"/>:
/// the subjects' templates; <see cref="IdentifyDecision"/>; <see cref="IdentityAssignment"/>). The probed people are
/// those with more photos than their subjects get: each is enrolled with --photos of them (drawn at random in each
/// draw) and searched with one other. The rest of the gallery is people seen once; the people seen once who are left
/// out are the strangers ("all": a different tenth of them in each draw). Reported per template size and gallery:
/// FPIR and FNIR at the default decision and at a range of rates, the rank-1 rate, and a plain distance rule for
/// comparison (the distance whose false-accept rate keeps 1 % of strangers out over the gallery's subjects, as identify
/// decided before it judged candidates against each other).
/// Options: those of <see cref="LabelledCodes"/>, --photos "1,3", --galleries "100,1000,all", --draws 10, --seed 1,
/// --models (the calibration's folder; default the repository's models/).
/// </summary>
public static class IdentificationBenchmark
{
    private static readonly double[] CurveRates = [1e-3, 3e-3, 1e-2, 3e-2, 1e-1];

    public static int Run(ToolArguments args)
    {
        var (set, models) = LabelledCodes.LoadForMode(args, defaultSets: "lfw-dev,faces,lfw-people");
        var gallery = GalleryCalibration.Load(models, set.ModelId);
        var options = new RecognitionOptions();
        var decisions = new MatchDecisions(gallery, Options.Create(options));
        Console.WriteLine($"model {set.ModelId}; {set.Settings}");
        Console.WriteLine($"calibration: {gallery.Distances.Description}");

        var people = set.Photos.Where(p => p.Code is not null).GroupBy(p => p.Person)
            .Select(g => new LabelledPerson(g.Key, g.Select(p => p.Code!).ToList())).ToList();
        var single = people.Where(p => p.Codes.Count == 1).ToList();
        var draws = args.Get("draws", 10);
        var random = new Random(args.Get("seed", 1));
        var k = options.DefaultK;
        Console.WriteLine($"{people.Count} people with a face, {single.Count} of them seen once; {draws} draws per gallery, k {k}; " +
                          $"default decision: at most {options.IdentifyMaxFalsePositiveIdentificationRate:P0} of strangers matched");

        foreach (var photos in args.Get("photos", "1,3").Split(',', StringSplitOptions.TrimEntries).Select(int.Parse))
        {
            var probed = people.Where(p => p.Codes.Count > photos).ToList();
            foreach (var size in args.Get("galleries", "100,1000,all").Split(',', StringSplitOptions.TrimEntries))
            {
                var galleries = Enumerable.Range(0, draws).Select(draw => Draw(size, draw, draws, photos, probed, single, random)).ToList();
                var searched = galleries.Select(g => Search(g, decisions.CandidatesToFetch(k))).ToList();
                var subjects = galleries.Select(g => (long)g.Gallery.Count).ToList();

                var rules = new List<(string Name, Func<long, IdentifyDecision> Decision)>
                {
                    ("default", n => decisions.ForIdentify(null, null, n)),
                };
                rules.AddRange(CurveRates.Select(rate => ($"FPIR {rate:0.###%}", (Func<long, IdentifyDecision>)(n => decisions.ForIdentify(null, rate, n)))));
                rules.Add(("distance rule, 1 %", n => decisions.ForIdentify(
                    gallery.Distances.ThresholdFor(GalleryRates.FalseAcceptRateFor(options.IdentifyMaxFalsePositiveIdentificationRate, n)), null, n)));

                var atDefault = Evaluate(rules[0].Decision, subjects, searched, k);
                Console.WriteLine();
                Console.WriteLine($"{photos} photo(s) per probed person, gallery {size}: {subjects.Min()}..{subjects.Max()} subjects " +
                                  $"({galleries[0].Probed} probed), {atDefault.MatedSearches} mated and {atDefault.StrangerSearches} stranger searches " +
                                  $"over {draws} draws; rank-1 {atDefault.Rank1Rate:P1}");
                Console.WriteLine($"  {"decision",-22} {"FPIR",7} {"FNIR",7}");
                foreach (var (name, decision) in rules)
                {
                    var result = Evaluate(decision, subjects, searched, k);
                    Console.WriteLine($"  {name,-22} {result.FalsePositiveIdentificationRate,7:P2} {result.FalseNegativeIdentificationRate,7:P1}   " +
                                      $"({result.FalsePositives} of {result.StrangerSearches} strangers matched, " +
                                      $"{result.FalseNegatives} of {result.MatedSearches} enrolled people missed)");
                }
            }
        }
        return 0;
    }

    private sealed record Draft(InMemoryGallery Gallery, int Probed, List<(string? Mate, sbyte[] Code)> Probes);

    private static Draft Draw(string size, int draw, int draws, int photos, List<LabelledPerson> probed, List<LabelledPerson> single, Random random)
    {
        var quantizer = new EmbeddingQuantizer();
        var subjects = new List<(string, IReadOnlyList<sbyte[]>)>();
        var probes = new List<(string?, sbyte[])>();
        List<LabelledPerson> strangers;
        List<LabelledPerson> enrolledProbed;
        if (size == "all")
        {
            enrolledProbed = probed;
            // One order in every draw (by a hash of the name), a different tenth of it left out each time.
            var order = single.OrderBy(p => StableHash(p.Name)).ToList();
            strangers = order.Where((_, i) => i % draws == draw).ToList();
            subjects.AddRange(order.Where((_, i) => i % draws != draw).Select(p => (p.Name, p.Codes)));
        }
        else
        {
            var wanted = int.Parse(size);
            // At most half of a gallery is probed people, the rest people seen once.
            enrolledProbed = probed.OrderBy(_ => random.Next()).Take(Math.Min(probed.Count, wanted / 2)).ToList();
            var fill = wanted - enrolledProbed.Count;
            if (fill >= single.Count) throw new ArgumentException($"A gallery of {size} leaves no strangers among {single.Count} people seen once.");
            var shuffled = single.OrderBy(_ => random.Next()).ToList();
            subjects.AddRange(shuffled.Take(fill).Select(p => (p.Name, p.Codes)));
            strangers = shuffled.Skip(fill).ToList();
        }
        foreach (var person in enrolledProbed)
        {
            var shuffled = person.Codes.OrderBy(_ => random.Next()).ToList();
            subjects.Add((person.Name, shuffled.Take(photos).ToList()));
            probes.Add((person.Name, shuffled[photos]));
        }
        probes.AddRange(strangers.Select(p => ((string?)null, p.Codes[0])));
        return new Draft(new InMemoryGallery(quantizer, subjects), enrolledProbed.Count, probes);
    }

    private static int StableHash(string text) => text.Aggregate(17, (h, c) => unchecked(h * 31 + c));

    private static List<IdentificationSearch> Search(Draft draft, int fetch)
    {
        var searches = new IdentificationSearch[draft.Probes.Count];
        Parallel.For(0, searches.Length, i => searches[i] = new IdentificationSearch(draft.Probes[i].Mate, draft.Gallery.Nearest(draft.Probes[i].Code, fetch)));
        return [.. searches];
    }

    private static OpenSetResult Evaluate(Func<long, IdentifyDecision> decision, List<long> subjects, List<List<IdentificationSearch>> searches, int k) =>
        searches.Select((s, d) => OpenSetIdentification.Evaluate(s, decision(subjects[d]), k)).Aggregate(OpenSetResult.None, (a, b) => a + b);
}
