using FaceService.CommandLine;
using System.Globalization;
using System.Text.Json;
using FaceService.Core.Calibration;
using FaceService.Core.Embeddings;
using FaceService.Core.Services;
using FaceService.Evaluation;

namespace FaceService.Bench;

/// <summary>
/// `calibrate`: writes models/calibration/&lt;model id&gt;.json, the table the service sets its thresholds by, from every
/// pair of the calibration photos (<see cref="LabelledCodes"/>: lfw-dev and the dev set, the face each photo's 1:1 request
/// compares, as 128-byte codes) with the service's pipeline and settings; then reports what the table says: thresholds
/// and true-accept rates at a range of false-accept rates, the tail check, the default verify decision on lfw-dev's
/// pairs, and identify's default threshold by gallery size.
/// Options: those of <see cref="LabelledCodes"/>, --out FILE (default: the calibration file of the model in
/// --models, default the repository's models/), --splits 5 and --seed 1 for the tail check.
/// </summary>
public static class CalibrationBenchmark
{
    public const string Command = "dotnet run -c Release --project src/FaceService.Bench -- calibrate";

    private static readonly double[] ReportedRates = [1e-2, 5e-3, 2e-3, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7];
    private static readonly double[] CheckedRates = [1e-4, 1e-5, 1e-6];
    private static readonly long[] GallerySizes = [10, 100, 1_000, 10_000, 100_000, 1_000_000];

    public static int Run(ToolArguments args)
    {
        Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"machine: {BenchMachine.DescribeMachine()}");
        var set = LabelledCodes.Load(args);
        var faces = set.Photos.Where(p => p.Code is not null).ToList();
        var people = faces.Select(p => p.Person).Distinct().ToList();
        Console.WriteLine($"model {set.ModelId}; {set.Settings}");
        Console.WriteLine($"{set.Photos.Count} photos of {set.Photos.Select(p => p.Person).Distinct().Count()} people, " +
                          $"{set.Photos.Count - faces.Count} without a face");

        var (differentPairs, samePerson) = AllPairs(faces, people);
        var differentPerson = new DistanceDistribution(differentPairs.Select(p => p.Distance));
        var (tail, points) = CalibrationTable.Build(differentPerson, samePerson);
        var splits = args.Get("splits", 5);
        var check = CalibrationTable.CheckTail(differentPairs, samePerson, people.Count, CheckedRates, splits, args.Get("seed", 1));
        var document = new CalibrationDocument(CalibrationDocument.CurrentFormat, set.ModelId,
            new CalibrationProvenance(DateTimeOffset.UtcNow, $"{Command} {string.Join(' ', Environment.GetCommandLineArgs().Skip(2))}".TrimEnd(), set.Settings),
            new CalibrationData("lfw-dev + faces (../shared/data)", set.Photos.Count, set.Photos.Count - faces.Count, people.Count,
                differentPerson.Count, samePerson.Count),
            tail, check, points);
        var calibration = DistanceCalibration.From(document);

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

        Console.WriteLine();
        Console.WriteLine($"default identify (Recognition:IdentifyMaxFalsePositiveIdentificationRate {defaults.IdentifyMaxFalsePositiveIdentificationRate}) by gallery size:");
        Console.WriteLine($"{"faces",10} {"FAR per comparison",19} {"threshold",10} {"TAR",7}");
        foreach (var size in GallerySizes)
        {
            var rate = GalleryRates.FalseAcceptRateFor(defaults.IdentifyMaxFalsePositiveIdentificationRate, size);
            var t = calibration.ThresholdFor(rate);
            Console.WriteLine($"{size,10:N0} {rate,19:E2} {t,10:F4} {samePerson.ShareAtOrBelow(t),7:P1}");
        }
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
