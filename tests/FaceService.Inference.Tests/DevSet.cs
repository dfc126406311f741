namespace FaceService.Inference.Tests;

/// <summary>The development photos in ../shared/data/faces (never copied into the repo) and the repository root.</summary>
internal static class DevSet
{
    public static readonly string RepoRoot = FindRepoRoot();

    public static readonly string FacesDirectory = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "data", "faces"));

    public static readonly string ModelsDirectory = Path.Combine(RepoRoot, "models");

    /// <summary>The lfw-dev set in ../shared/data/lfw-dev (every photo shows a face near its centre).</summary>
    public static readonly string LfwDevDirectory = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "data", "lfw-dev"));

    /// <summary>manifest.tsv rows: path relative to <see cref="FacesDirectory"/> and person ("_group", "_noface" for the special folders).</summary>
    public static readonly IReadOnlyList<(string Path, string Person)> Manifest = ReadManifest();

    public static IEnumerable<(string Path, string Person)> SingleFacePhotos => Manifest.Where(m => !m.Person.StartsWith('_'));

    public static byte[] Read(string relativePath) => File.ReadAllBytes(Path.Combine(FacesDirectory, relativePath));

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FaceService.sln"))) return dir.FullName;
        throw new InvalidOperationException("FaceService.sln not found above " + AppContext.BaseDirectory);
    }

    private static List<(string, string)> ReadManifest()
    {
        var file = Path.Combine(FacesDirectory, "manifest.tsv");
        if (!File.Exists(file)) throw new FileNotFoundException($"Dev photos missing: {file} (expected ../shared/data/faces beside the repo).");
        return File.ReadLines(file).Skip(1).Where(l => l.Length > 0)
            .Select(l => l.Split('\t')).Select(f => (f[0], f[1])).ToList();
    }
}
