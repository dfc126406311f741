using FaceService.CommandLine;
using System.Globalization;
using System.Text.Json;
using FaceService.Core.Calibration;
using FaceService.Core.Embeddings;
using FaceService.Core.Services;
using FaceService.Evaluation;

namespace FaceService.Bench;

/// <summary>
/// `calibrate`: writes models/calibration/&lt;model id&gt;.json, what the service sets its thresholds by, from the
/// calibration photos (<see cref="LabelledCodes"/>, the face each photo's 1:1 request compares, as 128-byte codes, with
/// the service's pipeline and settings): the distance table from every pair of lfw-dev and the dev set; the template
/// scales and identification's stranger tables from those and lfw-people (<see cref="GalleryCalibrationBuilder"/>).
/// Then it reports what they say: thresholds and true-accept rates at a range of false-accept rates, the tail check,
/// the default verify decision on lfw-dev's pairs, the template scales, and the identification tables and their check.
/// Options: those of <see cref="LabelledCodes"/> (--sets defaults to lfw-dev,faces,lfw-people here), --out FILE
/// (default: the calibration file of the model in --models, default the repository's models/), --splits 5 and --seed 1
/// for the tail check and the identification check.
/// </summary>
public static class CalibrationBenchmark
{
    public const string Command = "dotnet run -c Release --project src/FaceService.Bench -- calibrate";

    private static readonly double[] ReportedRates = [1e-2, 5e-3, 2e-3, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7];
    private static readonly double[] CheckedRates = [1e-4, 1e-5, 1e-6];
    private static readonly long[] GallerySizes = [10, 100, 1_000, 10_000, 100_000, 1_000_000];
    private static readonly double[] CheckedIdentificationRates = [1e-2, 1e-3];

    public static int Run(ToolArguments args)
    {
        Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"machine: {BenchMachine.DescribeMachine()}");
        var all = LabelledCodes.Load(args, defaultSets: "lfw-dev,faces,lfw-people");
        // The distance table rests on lfw-dev and the dev set, as it always has: lfw-people's photos go to the gallery sections.
        var set = all with { Photos = all.Photos.Where(p => !p.Path.StartsWith("lfw-people/", StringComparison.Ordinal)).ToList() };
        var faces = set.Photos.Where(p => p.Code is not null).ToList();
        var people = faces.Select(p => p.Person).Distinct().ToList();
        Console.WriteLine($"model {set.ModelId}; {set.Settings}");
        Console.WriteLine($"distance table: {set.Photos.Count} photos of {set.Photos.Select(p => p.Person).Distinct().Count()} people, " +
                          $"{set.Photos.Count - faces.Count} without a face");

        var (differentPairs, samePerson) = AllPairs(faces, people);
        var differentPerson = new DistanceDistribution(differentPairs.Select(p => p.Distance));
        var (tail, points) = CalibrationTable.Build(differentPerson, samePerson);
        var splits = args.Get("splits", 5);
        var seed = args.Get("seed", 1);
        var check = CalibrationTable.CheckTail(differentPairs, samePerson, people.Count, CheckedRates, splits, seed);
        var calibration = new DistanceCalibration(set.ModelId, points, "this run's table");

        var galleryPeople = all.Photos.Where(p => p.Code is not null).GroupBy(p => p.Person)
            .Select(g => new LabelledPerson(g.Key, g.Select(p => p.Code!).ToList())).ToList();
        var gallerySets = string.Join(" + ", all.Photos.Select(p => p.Path[..p.Path.IndexOf('/')]).Distinct()) + " (../shared/data)";
        Console.WriteLine($"gallery sections: {galleryPeople.Sum(p => p.Codes.Count)} faces of {galleryPeople.Count} people from {gallerySets}");
        var templates = GalleryCalibrationBuilder.MeasureTemplates(galleryPeople, gallerySets, seed);
        var ranking = new CandidateRanking(calibration, templates.Scales.Select(t => t.DistanceScale).ToList(), GalleryCalibrationBuilder.Cohort);
        var tables = GalleryCalibrationBuilder.BuildStrangerTables(galleryPeople, ranking, seed);
        var identificationCheck = GalleryCalibrationBuilder.Check(galleryPeople, calibration, templates, CheckedIdentificationRates, seed);
        var document = new CalibrationDocument(CalibrationDocument.CurrentFormat, set.ModelId,
            new CalibrationProvenance(DateTimeOffset.UtcNow, $"{Command} {string.Join(' ', Environment.GetCommandLineArgs().Skip(2))}".TrimEnd(), set.Settings),
            new CalibrationData("lfw-dev + faces (../shared/data)", set.Photos.Count, set.Photos.Count - faces.Count, people.Count,
                differentPerson.Count, samePerson.Count),
            tail, check, points, templates,
            new CalibrationIdentification(gallerySets, GalleryCalibrationBuilder.Cohort, tables, identificationCheck));
        var gallery = GalleryCalibration.From(document);

        var file = args.Get("out", "") is { Length: > 0 } o
            ? o
            : DistanceCalibration.FileFor(args.Get("models", Path.Combine(LabelledPhotoSet.RepositoryRoot(AppContext.BaseDirectory), "models")), set.ModelId);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        File.WriteAllText(file, JsonSerializer.Serialize(document, CalibrationDocument.Json) + "\n");
        Console.WriteLine($"wrote {file}: {points.Count} points");

        Console.WriteLine();
        Console.WriteLine($"{differentPerson.Count} different-person pairs, {samePerson.Count} same-person pairs; " +
                          $"closest different-person pairs {string.Join(", ", differentPerson.Sorted[..5].ToArray().Select(d => d.ToString("F4", CultureInfo.InvariantCulture)))}");
        Console.WriteLine($"tail: {tail.Model} below {tail.MeasuredFrom} (fewer than {tail.MinimumMeasuredPairs} pairs at or below), " +
                          $"exponent {tail.Exponent:F2} fitted to the {tail.FittedPairs} closest pairs (below {tail.FittedBelow:F4}): " +
                          $"the rate falls tenfold each time the distance shrinks by {1 - Math.Pow(10, -1 / tail.Exponent):P1}");
        Console.WriteLine($"tail check, {splits} splits of the people: table from the pairs among a third of them " +
                          $"(~{check[0].FittedPairs} pairs), thresholds applied to the other ~{check[0].HeldOutPairs} pairs:");
        foreach (var c in check)
            Console.WriteLine($"  FAR {c.TargetRate:0e0}: held-out FAR {c.HeldOutRate:E2} ({c.HeldOutAccepted} pairs accepted, {c.ExpectedAccepted:F1} predicted; " +
                              $"{(c.Extrapolated ? "extrapolated in every split" : "measured in some split")})");

        Console.WriteLine();
        Console.WriteLine($"{"FAR",8} {"threshold",10} {"TAR",7} {"balanced accuracy",18} {"FAR is",13}");
        foreach (var rate in ReportedRates)
        {
            var t = calibration.ThresholdFor(rate);
            var tar = samePerson.ShareAtOrBelow(t);
            Console.WriteLine($"{rate,8:0e0} {t,10:F4} {tar,7:P1} {(tar + 1 - calibration.FalseAcceptRate(t)) / 2,18:P2} " +
                              $"{(t >= tail.MeasuredFrom ? "measured" : "extrapolated"),13}");
        }

        var defaults = new RecognitionOptions();
        var verify = calibration.ThresholdFor(defaults.VerifyMaxFalseAcceptRate);
        var verifyTar = samePerson.ShareAtOrBelow(verify);
        Console.WriteLine();
        Console.WriteLine($"default verify (Recognition:VerifyMaxFalseAcceptRate {defaults.VerifyMaxFalseAcceptRate:0e0}): threshold {verify:F4}, " +
                          $"TAR {verifyTar:P1}, balanced accuracy {(verifyTar + 1 - calibration.FalseAcceptRate(verify)) / 2:P2} (requirement ≥ 99 %)");
        ReportProtocolPairs(args, set, verify);
        ReportManyPhotoPairs(all, calibration);

        Console.WriteLine();
        Console.WriteLine($"templates: the distance to a template of m faces reads as this many times a one-face distance " +
                          $"(rates {string.Join(", ", GalleryCalibrationBuilder.ScaleRates.Select(r => r.ToString("0e0", CultureInfo.InvariantCulture)))}):");
        Console.WriteLine("  " + string.Join("  ", templates.Scales.Select(t => $"{t.Faces}: {t.DistanceScale:F3}")));
        Console.WriteLine();
        Console.WriteLine($"identification: statistic of strangers' surest candidate (cohort {GalleryCalibrationBuilder.Cohort}) by gallery size; " +
                          $"the statistic at FPIR 1e-2 and 1e-3, and the tail slope:");
        Console.WriteLine($"{"subjects",9} {"searches",9} {"at 1e-2",8} {"at 1e-3",8} {"slope",6}");
        foreach (var table in tables)
            Console.WriteLine($"{table.Subjects,9} {table.Searches,9} {gallery.StatisticFor(1e-2, table.Subjects),8:F2} " +
                              $"{gallery.StatisticFor(1e-3, table.Subjects),8:F2} {table.TailSlope,6:F2}");
        Console.WriteLine("identification check (tables from half of the people, galleries and strangers from the other half):");
        foreach (var c in identificationCheck)
            Console.WriteLine($"  {c.Subjects,5} subjects, FPIR {c.TargetRate:0e0}: {c.MeasuredRate:E2} of {c.StrangerSearches} stranger searches");
        return 0;
    }

    /// <summary>Every pair of the faces: different-person pairs with their people, and the same-person distances.</summary>
    private static (List<PersonPair> DifferentPerson, DistanceDistribution SamePerson) AllPairs(List<LabelledCode> faces, List<string> people)
    {
        var quantizer = new EmbeddingQuantizer();
        var personOf = faces.Select(f => people.IndexOf(f.Person)).ToArray();
        var different = new List<PersonPair>(faces.Count * (faces.Count - 1) / 2);
        var same = new List<float>();
        for (var i = 0; i < faces.Count; i++)
        for (var j = i + 1; j < faces.Count; j++)
        {
            var distance = quantizer.SquaredDistance(faces[i].Code, faces[j].Code);
            if (personOf[i] == personOf[j]) same.Add(distance);
            else different.Add(new PersonPair(personOf[i], personOf[j], distance));
        }
        return (different, new DistanceDistribution(same));
    }

    /// <summary>
    /// Verify on every same-person pair of lfw-people (tens of thousands, typical photos of 231 people; none of them in
    /// the distance table): the share accepted at the default threshold and at stricter rates.
    /// </summary>
    private static void ReportManyPhotoPairs(LabelledCodes.Set all, DistanceCalibration calibration)
    {
        var quantizer = new EmbeddingQuantizer();
        var distances = all.Photos.Where(p => p.Code is not null && p.Path.StartsWith("lfw-people/", StringComparison.Ordinal))
            .GroupBy(p => p.Person).SelectMany(g =>
            {
                var codes = g.Select(p => p.Code!).ToList();
                return codes.SelectMany((a, i) => codes.Skip(i + 1).Select(b => quantizer.SquaredDistance(a, b)));
            }).ToList();
        if (distances.Count == 0) return;
        var same = new DistanceDistribution(distances);
        Console.WriteLine($"lfw-people same-person pairs ({same.Count}): accepted at " + string.Join(", ",
            new[] { new RecognitionOptions().VerifyMaxFalseAcceptRate, 1e-4, 1e-5 }.Select(rate =>
                $"FAR {rate:0e0} (distance {calibration.ThresholdFor(rate):F4}) {same.ShareAtOrBelow(calibration.ThresholdFor(rate)):P1}")));
    }

    /// <summary>lfw-dev's protocol pairs (140 same, 420 different) at the default verify threshold, as the issue measures them.</summary>
    private static void ReportProtocolPairs(ToolArguments args, LabelledCodes.Set set, float threshold)
    {
        var lfw = args.Get("lfw-dev", "") is { Length: > 0 } l ? LabelledPhotoSet.Load(l) : LabelledPhotoSet.LoadShared("lfw-dev");
        var quantizer = new EmbeddingQuantizer();
        var codes = set.Photos.Where(p => p.Path.StartsWith("lfw-dev/", StringComparison.Ordinal)).ToDictionary(p => p.Path["lfw-dev/".Length..], p => p.Code);
        var pairs = lfw.Pairs.Select(p => new ScoredPair(p.Fold, p.Same,
            codes[p.PathA] is { } a && codes[p.PathB] is { } b ? quantizer.SquaredDistance(a, b) : null)).ToList();
        var protocol = PairProtocol.Evaluate(pairs, answeredOnly: true);
        Console.WriteLine($"lfw-dev pairs.tsv ({pairs.Count(p => p.Same)} same, {pairs.Count(p => !p.Same)} different, {pairs.Count(p => p.Distance is null)} unanswered): " +
                          $"accuracy at the default threshold {PairProtocol.AccuracyAt(pairs, threshold):P2} (answered only {PairProtocol.AccuracyAt(pairs, threshold, answeredOnly: true):P2}); " +
                          $"LFW protocol, answered only, {protocol.Accuracy:P2} ± {protocol.StandardError:P2} at mean threshold {protocol.MeanThreshold:F3}");
    }
}
