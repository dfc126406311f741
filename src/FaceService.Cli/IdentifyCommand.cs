using FaceService.CommandLine;
using System.Globalization;
using FaceService.Core.Naming;
using FaceService.Core.Services;
using Microsoft.Extensions.DependencyInjection;

namespace FaceService.Cli;

/// <summary>identify &lt;image&gt;: the nearest enrolled subjects of the photo's primary face (or of every face), as the API's identify.</summary>
public static class IdentifyCommand
{
    public const string Usage = """
        faceservice identify <image> [--collection <name>] [--k <n>] [--threshold <d>] [--all-faces] [--json <file>] [common options]
          The k surest subjects (default 5) of the primary face, or of every face with --all-faces, each compared as
          the template of its faces. By default a candidate matches when it stands out from the other subjects nearest
          to the face so far that strangers do so at most at Recognition:IdentifyMaxFalsePositiveIdentificationRate,
          at the collection's number of subjects; with --threshold (squared L2, 0..4) a distance decides instead.
        """;

    public static readonly string[] Options = [.. CliHost.Options, "collection", "k", "threshold"];
    public static readonly string[] Flags = [.. CliHost.Flags, "all-faces"];

    public static async Task<int> RunAsync(ToolArguments args, CliConsole console, CancellationToken ct)
    {
        var path = ImageFiles.RequireFile(args.Positionals[0]);
        var collection = CliHost.Collection(args);
        int? k = args.Get("k") is null ? null : args.GetInt("k", 0, 1, int.MaxValue);
        var threshold = args.GetThreshold("threshold");
        var jsonPath = args.Get("json");

        using var host = await CliHost.StartMigratedAsync(args, ct);
        var recognition = host.Services.GetRequiredService<FaceRecognitionService>();
        var image = new ImageInput(Path.GetFileName(path), null, await File.ReadAllBytesAsync(path, ct));
        var result = await recognition.IdentifyAsync(image, collection, new IdentifyParameters(k, threshold, AllFaces: args.Has("all-faces")), ct);

        Write(console.Out, collection, result);
        if (jsonPath is not null) await CliJson.WriteAsync(jsonPath, result, ct);
        return ExitCodes.Ok;
    }

    private static string Rule(IdentifyResult result) => result.Threshold is { } threshold
        ? string.Format(CultureInfo.InvariantCulture, "within {0:F3}", threshold)
        : string.Format(CultureInfo.InvariantCulture, "with at most {0:P2} of strangers matched among {1:N0} subjects",
            result.MaxFalsePositiveIdentificationRate, result.Gallery.Subjects);

    private static void Write(TextWriter writer, CollectionName collection, IdentifyResult result)
    {
        if (result.Faces.Count == 0)
        {
            writer.WriteLine("No face found.");
            return;
        }
        var inv = CultureInfo.InvariantCulture;
        for (var f = 0; f < result.Faces.Count; f++)
        {
            var face = result.Faces[f];
            var b = face.Box;
            writer.WriteLine(string.Format(inv, "Face {0} at x {1:F0}, y {2:F0}, {3:F0}x{4:F0} (score {5:F2}): {6}",
                f + 1, b.X, b.Y, b.Width, b.Height, face.Score,
                face.Subject is { } subject ? subject : $"no match in '{collection}' {Rule(result)}"));
            if (face.Candidates.Count == 0) continue;
            var width = Math.Max(7, face.Candidates.Max(c => c.Subject.Length));
            writer.WriteLine($"   #  {"subject".PadRight(width)}  faces  distance  strangers as sure  match");
            for (var c = 0; c < face.Candidates.Count; c++)
            {
                var candidate = face.Candidates[c];
                writer.WriteLine(string.Format(inv, "  {0,2}  {1}  {2,5}  {3,8:F3}  {4,17:P3}  {5}", c + 1, candidate.Subject.PadRight(width), candidate.Faces,
                    candidate.Distance, candidate.FalsePositiveIdentificationRate, candidate.Match ? "yes" : ""));
            }
        }
    }
}
