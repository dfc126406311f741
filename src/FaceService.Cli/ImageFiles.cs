using FaceService.CommandLine;

namespace FaceService.Cli;

/// <summary>Which files of a folder the commands read as photos: by extension, in ordinal name order (runs are repeatable).</summary>
public static class ImageFiles
{
    private static readonly HashSet<string> Extensions = new([".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif"], StringComparer.OrdinalIgnoreCase);

    public static bool IsImage(string path) => Extensions.Contains(Path.GetExtension(path));

    /// <summary>Hidden entries (".name") are never read.</summary>
    public static bool IsHidden(string path) => Path.GetFileName(path).StartsWith('.');

    public static IEnumerable<string> In(string folder, bool recursive)
    {
        var files = Directory.EnumerateFiles(folder).Where(f => IsImage(f) && !IsHidden(f)).Order(StringComparer.Ordinal);
        return recursive
            ? files.Concat(Directory.EnumerateDirectories(folder).Where(d => !IsHidden(d)).Order(StringComparer.Ordinal).SelectMany(d => In(d, true)))
            : files;
    }

    /// <summary>The path with '/' separators relative to <paramref name="root"/>, as reports and messages show it.</summary>
    public static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');

    public static string RequireFolder(string path) =>
        Directory.Exists(path) ? Path.GetFullPath(path) : throw new UsageException($"No such folder: '{path}'.");

    public static string RequireFile(string path) =>
        File.Exists(path) ? Path.GetFullPath(path) : throw new UsageException($"No such file: '{path}'.");
}
