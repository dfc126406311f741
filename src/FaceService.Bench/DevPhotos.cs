using FaceService.Evaluation;

namespace FaceService.Bench;

/// <summary>The development photos (../shared/data/faces beside the repository, never copied into it), read into memory.</summary>
public static class DevPhotos
{
    /// <summary>One encoded photo: its path relative to the photo folder, and its bytes.</summary>
    public sealed record Photo(string Path, byte[] Bytes);

    /// <summary>
    /// The single-face person folders of manifest.tsv, plus the group photos when <paramref name="includeGroups"/>;
    /// <paramref name="directory"/> defaults to ../shared/data/faces beside the repository the tool is run in.
    /// </summary>
    public static IReadOnlyList<Photo> Load(string? directory, bool includeGroups)
    {
        // From the working directory: the load scripts run a copy of the build from outside the repository.
        directory ??= Path.Combine(LabelledPhotoSet.RepositoryRoot(Environment.CurrentDirectory), "..", "shared", "data", "faces");
        var manifest = Path.Combine(directory, "manifest.tsv");
        if (!File.Exists(manifest))
            throw new ArgumentException($"No manifest.tsv in '{Path.GetFullPath(directory)}': pass --photos <folder of the dev photos>.");
        return File.ReadLines(manifest).Skip(1)
            .Select(line => line.Split('\t'))
            .Where(fields => fields.Length == 2 && (!fields[1].StartsWith('_') || (includeGroups && fields[1] == "_group")))
            .Select(fields => new Photo(fields[0], File.ReadAllBytes(Path.Combine(directory, fields[0]))))
            .ToArray();
    }

    /// <summary>The photo's longer side in pixels, from its header.</summary>
    public static int LongerSide(Photo photo)
    {
        using var codec = SkiaSharp.SKCodec.Create(new MemoryStream(photo.Bytes)) ?? throw new InvalidDataException($"{photo.Path} is not an image.");
        return Math.Max(codec.Info.Width, codec.Info.Height);
    }
}
