using FaceService.CommandLine;
using System.Diagnostics;
using System.Security.Cryptography;
using FaceService.Core.Faces;
using FaceService.Evaluation;
using Microsoft.Extensions.DependencyInjection;

namespace FaceService.Bench;

/// <summary>One photo of a named person and the code of the face a 1:1 request compares, or null when it shows none.</summary>
/// <param name="Path">The set's name and the photo's path in it, e.g. "lfw-dev/images/AJ_Cook/AJ_Cook_0001.jpg".</param>
public sealed record LabelledCode(string Path, string Person, sbyte[]? Code);

/// <summary>
/// The calibration photos: every person photo of lfw-dev and of the dev set (../shared/data/faces), a photo in both
/// (same bytes) once, each run through the service's pipeline for <see cref="FaceSelection.Primary"/> (the primary face, as enroll, verify and identify take it).
/// People are matched by name across the sets (the dev set's LFW people carry LFW's names).
/// Options: --sets (default "lfw-dev,faces" unless the mode says otherwise; "lfw-people" adds the many-photos-per-person set), --lfw-dev, --faces,
/// --lfw-people (folders; default ../shared/data beside the repository), --codes FILE (read the codes a previous run
/// saved instead of running the models), --save-codes FILE, and the inference settings (--device, …).
/// </summary>
public static class LabelledCodes
{
    public sealed record Set(string ModelId, string Settings, IReadOnlyList<LabelledCode> Photos);

    /// <summary>
    /// The header every mode on labelled photos prints (date, machine), then the codes of <paramref name="defaultSets"/>
    /// (or --sets) and the models folder (--models, default the repository's models/) their calibration is read from.
    /// </summary>
    public static (Set Set, string Models) LoadForMode(ToolArguments args, string defaultSets)
    {
        BenchMachine.PrintHeader();
        var set = Load(args, defaultSets);
        return (set, args.Get("models", Path.Combine(LabelledPhotoSet.RepositoryRoot(AppContext.BaseDirectory), "models")));
    }

    public static Set Load(ToolArguments args, string defaultSets = "lfw-dev,faces")
    {
        if (args.Get("codes", "") is { Length: > 0 } saved) return Read(saved);

        var sets = args.Get("sets", defaultSets).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(name => name is "lfw-dev" or "faces" or "lfw-people"
                ? (name, args.Get(name, "") is { Length: > 0 } folder ? LabelledPhotoSet.Load(folder) : LabelledPhotoSet.LoadShared(name))
                : throw new UsageException($"--sets names lfw-dev, faces or lfw-people, not '{name}'."))
            .ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var photos = new List<(string Path, string Person, byte[] Bytes)>();
        foreach (var (name, set) in sets)
        foreach (var photo in set.PersonPhotos)
        {
            var bytes = set.Read(photo);
            if (seen.Add(Convert.ToHexString(SHA256.HashData(bytes)))) photos.Add(($"{name}/{photo.Path}", photo.Person, bytes));
        }

        using var services = InferenceHost.Build(args);
        var pipeline = services.GetRequiredService<IFacePipeline>();
        var watch = Stopwatch.StartNew();
        var codes = new LabelledCode[photos.Count];
        Parallel.For(0, photos.Count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
        {
            var analysis = pipeline.AnalyzeAsync(photos[i].Bytes, FaceSelection.Primary).GetAwaiter().GetResult();
            codes[i] = new LabelledCode(photos[i].Path, photos[i].Person, analysis.Faces.FirstOrDefault()?.Code);
        });
        Console.WriteLine($"embedded {photos.Count} photos in {watch.Elapsed.TotalSeconds:F0} s");
        var result = new Set(pipeline.ModelId, InferenceHost.DescribeSettings(services), codes);
        if (args.Get("save-codes", "") is { Length: > 0 } file) Write(file, result);
        return result;
    }

    // Text: two header lines (model id, settings), then path, person and the code in hex (empty: no face), tab-separated.
    private static void Write(string file, Set set) =>
        File.WriteAllLines(file, new[] { set.ModelId, set.Settings }.Concat(set.Photos.Select(p =>
            $"{p.Path}\t{p.Person}\t{(p.Code is null ? "" : Convert.ToHexString((byte[])(Array)p.Code))}")));

    private static Set Read(string file)
    {
        var lines = File.ReadAllLines(file);
        var photos = lines.Skip(2).Select(line => line.Split('\t')).Select(f =>
            new LabelledCode(f[0], f[1], f[2].Length == 0 ? null : (sbyte[])(Array)Convert.FromHexString(f[2]))).ToList();
        return new Set(lines[0], lines[1] + $" (codes read from {file})", photos);
    }
}
