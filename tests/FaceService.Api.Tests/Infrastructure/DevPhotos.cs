namespace FaceService.Api.Tests.Infrastructure;

/// <summary>The development photos in ../shared/data/faces (read in place, never copied into the repository).</summary>
public static class DevPhotos
{
    public static readonly string RepoRoot = FindRepoRoot();

    public static readonly string Directory = System.IO.Path.GetFullPath(System.IO.Path.Combine(RepoRoot, "..", "shared", "data", "faces"));

    /// <summary>Labelled single-person photos by person, in manifest order (the first photo is each person's enrollment photo).</summary>
    public static readonly IReadOnlyList<Person> People = ReadManifest();

    public static string Resolve(string relative) => System.IO.Path.Combine(Directory, relative);

    public static string NoFace(string name) => Resolve($"_noface/{name}");

    public static string Group(string name) => Resolve($"_group/{name}");

    public sealed record Person(string Name, IReadOnlyList<string> Photos);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "FaceService.sln"))) return dir.FullName;
        throw new InvalidOperationException("FaceService.sln not found above " + AppContext.BaseDirectory);
    }

    private static List<Person> ReadManifest()
    {
        var manifest = System.IO.Path.Combine(Directory, "manifest.tsv");
        if (!File.Exists(manifest)) throw new FileNotFoundException($"Dev photos missing: {manifest} (expected ../shared/data/faces beside the repository).");
        return File.ReadLines(manifest).Skip(1).Where(l => l.Length > 0).Select(l => l.Split('\t'))
            .Where(f => !f[1].StartsWith('_'))
            .GroupBy(f => f[1])
            .Select(g => new Person(g.Key, g.Select(f => Resolve(f[0])).ToList()))
            .ToList();
    }
}
