namespace FaceService.Evaluation;

/// <summary>One photo of a labelled set: its path relative to the set's folder and the person it shows.</summary>
public sealed record LabelledPhoto(string Path, string Person);

/// <summary>One pair of the LFW-style protocol: the fold it belongs to, two photo paths and whether they show one person.</summary>
public sealed record ProtocolPair(int Fold, string PathA, string PathB, bool Same);

/// <summary>
/// A folder of identity-labelled photos described by <c>manifest.tsv</c> (<c>path  person</c>, header row), with an optional
/// <c>pairs.tsv</c> (<c>fold  path_a  path_b  same</c>). Both shared sets have this shape: <c>../shared/data/faces</c>
/// (persons starting with '_' are the group and no-face folders) and <c>../shared/data/lfw-dev</c>.
/// </summary>
public sealed class LabelledPhotoSet
{
    private LabelledPhotoSet(string directory, IReadOnlyList<LabelledPhoto> photos, IReadOnlyList<ProtocolPair> pairs)
    {
        Directory = directory;
        Photos = photos;
        Pairs = pairs;
    }

    public string Directory { get; }

    public IReadOnlyList<LabelledPhoto> Photos { get; }

    /// <summary>The set's protocol pairs; empty when it has no pairs.tsv.</summary>
    public IReadOnlyList<ProtocolPair> Pairs { get; }

    /// <summary>Photos of named people (not the '_group' / '_noface' folders).</summary>
    public IEnumerable<LabelledPhoto> PersonPhotos => Photos.Where(p => !p.Person.StartsWith('_'));

    public string FullPath(string relativePath) => System.IO.Path.Combine(Directory, relativePath);

    public byte[] Read(LabelledPhoto photo) => File.ReadAllBytes(FullPath(photo.Path));

    public static LabelledPhotoSet Load(string directory)
    {
        var manifest = System.IO.Path.Combine(directory, "manifest.tsv");
        if (!File.Exists(manifest))
            throw new FileNotFoundException($"No manifest.tsv in '{System.IO.Path.GetFullPath(directory)}'.", manifest);
        var photos = ReadRows(manifest, 2).Select(f => new LabelledPhoto(f[0], f[1])).ToList();
        var pairsFile = System.IO.Path.Combine(directory, "pairs.tsv");
        var pairs = File.Exists(pairsFile)
            ? ReadRows(pairsFile, 4).Select(f => new ProtocolPair(int.Parse(f[0]), f[1], f[2], f[3] == "1")).ToList()
            : [];
        return new LabelledPhotoSet(System.IO.Path.GetFullPath(directory), photos, pairs);
    }

    /// <summary>
    /// The shared set <paramref name="name"/> ("faces" or "lfw-dev") in ../shared/data beside the repository that contains
    /// <paramref name="startDirectory"/> (default: the running program's folder).
    /// </summary>
    public static LabelledPhotoSet LoadShared(string name, string? startDirectory = null) =>
        Load(System.IO.Path.Combine(RepositoryRoot(startDirectory ?? AppContext.BaseDirectory), "..", "shared", "data", name));

    /// <summary>The nearest folder at or above <paramref name="startDirectory"/> holding FaceService.sln.</summary>
    public static string RepositoryRoot(string startDirectory)
    {
        for (var dir = new DirectoryInfo(startDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "FaceService.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"FaceService.sln not found at or above '{startDirectory}'.");
    }

    private static IEnumerable<string[]> ReadRows(string file, int columns) =>
        File.ReadLines(file).Skip(1).Where(l => l.Length > 0).Select(l =>
        {
            var fields = l.Split('\t');
            return fields.Length == columns ? fields : throw new InvalidDataException($"{file}: expected {columns} columns in '{l}'.");
        });
}
