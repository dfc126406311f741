using FaceService.CommandLine;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using FaceService.Core.Naming;
using FaceService.Core.Faces;
using FaceService.Core.Services;
using FaceService.Core.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace FaceService.Cli;

/// <summary>A photo that was not enrolled, and why ("no-face" or "error").</summary>
public sealed record ImageProblem(string Path, string Kind, string Message);

public sealed record ImportSummary(
    string Collection, int Subjects, int Images, int FacesEnrolled, int Skipped, int NoFace, int Errors,
    double Seconds, double FacesPerSecond, double ImagesPerSecond, IReadOnlyList<ImageProblem> Problems);

/// <summary>
/// import &lt;folder&gt;: enrolls the primary face of every photo in each sub-folder under the sub-folder's name as the
/// subject, through the same <see cref="FaceRecognitionService.EnrollAsync"/> as the API (one transaction per photo), with
/// several photos in flight so the recognition batcher fills its batches. Resumable: a photo whose SHA-256 is already
/// enrolled for its subject is skipped before the models run. A photo without a face or that cannot be read is counted
/// and reported, not fatal.
/// </summary>
public sealed class ImportCommand
{
    public const string Usage = """
        faceservice import <folder> [--collection <name>] [--include-underscore] [--concurrency <n>] [--json <file>] [common options]
          Enrolls <folder>/<subject>/*.jpg|png|webp|bmp|gif: one sub-folder per subject, the folder name is the subject id.
          Sub-folders starting with '_' are skipped unless --include-underscore. Photos already enrolled are skipped.
        """;

    public static readonly string[] Options = [.. CliHost.Options, "collection"];
    public static readonly string[] Flags = [.. CliHost.Flags, "include-underscore"];

    private sealed record Photo(string Subject, string Path, string Name);

    private enum Outcome { Enrolled, Skipped, NoFace, Error }

    public static async Task<int> RunAsync(ToolArguments args, CliConsole console, CancellationToken ct)
    {
        var folder = ImageFiles.RequireFolder(args.Positionals[0]);
        var collection = CliHost.Collection(args);
        var concurrency = CliHost.Concurrency(args);
        var jsonPath = args.Get("json");
        var photos = ListPhotos(folder, args.Has("include-underscore"), console);

        using var host = await CliHost.StartMigratedAsync(args, ct);
        var recognition = host.Services.GetRequiredService<FaceRecognitionService>();
        var store = host.Services.GetRequiredService<IFaceStore>();
        var modelId = host.Services.GetRequiredService<IFacePipeline>().ModelId;

        var enrolledHashes = new ConcurrentDictionary<SubjectId, Lazy<Task<IReadOnlySet<string>>>>();
        var seenThisRun = new ConcurrentDictionary<(SubjectId Subject, string Sha256), bool>();
        var problems = new ConcurrentBag<ImageProblem>();
        var counts = new int[Enum.GetValues<Outcome>().Length];

        console.Out.WriteLine($"Importing {photos.Count} photo(s) of {photos.Select(p => p.Subject).Distinct().Count()} subject(s) into collection '{collection}' ({concurrency} in flight).");
        var progress = new ProgressBar(console.Out, "import", photos.Count, console.Interactive);
        var clock = Stopwatch.StartNew();
        try
        {
            await Parallel.ForEachAsync(photos, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct }, async (photo, token) =>
            {
                var (outcome, message) = await ImportAsync(photo, token);
                Interlocked.Increment(ref counts[(int)outcome]);
                if (message is not null)
                {
                    var kind = outcome == Outcome.NoFace ? "no-face" : "error";
                    problems.Add(new ImageProblem(photo.Name, kind, message));
                    progress.Note($"  {kind}: {message}");
                }
                progress.Advance(outcome == Outcome.Enrolled ? 1 : 0);
            });
        }
        finally
        {
            clock.Stop();
            progress.Complete();
        }

        var seconds = clock.Elapsed.TotalSeconds;
        var enrolled = counts[(int)Outcome.Enrolled];
        var analyzed = enrolled + counts[(int)Outcome.NoFace];
        var summary = new ImportSummary(collection, photos.Select(p => p.Subject).Distinct().Count(), photos.Count, enrolled,
            counts[(int)Outcome.Skipped], counts[(int)Outcome.NoFace], counts[(int)Outcome.Error], Math.Round(seconds, 3),
            Math.Round(seconds > 0 ? enrolled / seconds : 0, 3), Math.Round(seconds > 0 ? analyzed / seconds : 0, 3),
            problems.OrderBy(p => p.Path, StringComparer.Ordinal).ToList());
        WriteSummary(console.Out, summary);
        if (jsonPath is not null) await CliJson.WriteAsync(jsonPath, summary, ct);
        return ExitCodes.Ok;

        async Task<(Outcome, string?)> ImportAsync(Photo photo, CancellationToken token)
        {
            if (SubjectId.TryCreate(photo.Subject, out var invalid) is not { } subject)
                return (Outcome.Error, $"{photo.Name}: the folder name is not a valid subject id ({invalid})");
            byte[] bytes;
            try
            {
                bytes = await File.ReadAllBytesAsync(photo.Path, token);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return (Outcome.Error, $"{photo.Name}: {e.Message}");
            }

            var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
            var stored = await enrolledHashes.GetOrAdd(subject,
                _ => new Lazy<Task<IReadOnlySet<string>>>(() => store.GetSubjectImageHashesAsync(collection, modelId, subject, token))).Value;
            // The same bytes twice in one subject folder are one face, as they are in one enroll request; so are two
            // folders whose names differ only in Unicode form (NFC and NFD): one subject id.
            if (stored.Contains(sha256) || !seenThisRun.TryAdd((subject, sha256), true)) return (Outcome.Skipped, null);

            try
            {
                await recognition.EnrollAsync(collection, subject, [new ImageInput(photo.Name, null, bytes)], CliHost.Operator, ct: token);
                return (Outcome.Enrolled, null);
            }
            catch (FaceServiceException e) when (e.Error == FaceServiceError.NoFace)
            {
                return (Outcome.NoFace, $"{photo.Name} shows no face");
            }
            catch (FaceServiceException e) when (e.Error is FaceServiceError.InvalidImage or FaceServiceError.UnsupportedImageFormat or FaceServiceError.ImageTooLarge
                                                     or FaceServiceError.LowQuality)
            {
                return (Outcome.Error, e.Message);
            }
        }
    }

    // The folder name in NFC where it is a valid id (a macOS folder name arrives in NFD), so that counts and summaries
    // see one subject per person; an invalid name is kept as it is and reported per photo.
    private static string SubjectName(string folder) =>
        Path.GetFileName(folder) is var name && SubjectId.TryCreate(name, out _) is { } id ? id.Value : name;

    private static List<Photo> ListPhotos(string folder, bool includeUnderscore, CliConsole console)
    {
        var loose = Directory.EnumerateFiles(folder).Count(ImageFiles.IsImage);
        if (loose > 0) console.Error.WriteLine($"warning: {loose} photo(s) directly in '{folder}' are ignored: import reads one sub-folder per subject.");
        return Directory.EnumerateDirectories(folder)
            .Where(d => !ImageFiles.IsHidden(d) && (includeUnderscore || !Path.GetFileName(d).StartsWith('_')))
            .Order(StringComparer.Ordinal)
            .SelectMany(d => ImageFiles.In(d, recursive: false).Select(f => new Photo(SubjectName(d), f, ImageFiles.Relative(folder, f))))
            .ToList();
    }

    private static void WriteSummary(TextWriter writer, ImportSummary s)
    {
        writer.WriteLine($"Import into '{s.Collection}' done in {ProgressBar.FormatDuration(TimeSpan.FromSeconds(s.Seconds))} ({s.Seconds:F1} s):");
        writer.WriteLine($"  images          {s.Images} in {s.Subjects} subject folder(s)");
        writer.WriteLine($"  faces enrolled  {s.FacesEnrolled}");
        writer.WriteLine($"  skipped         {s.Skipped} (already enrolled)");
        writer.WriteLine($"  no face         {s.NoFace}");
        writer.WriteLine($"  errors          {s.Errors}");
        writer.WriteLine($"  rate            {s.FacesPerSecond:F2} faces/s enrolled, {s.ImagesPerSecond:F2} images/s analyzed");
    }
}
