namespace FaceService.ModelBuilder.Tests.TestSupport;

/// <summary>Paths relative to the repository root, found by walking up to FaceService.sln.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootLazy = new(FindRoot);

    public static string Root => RootLazy.Value;

    public static string ModelsDir => Path.Combine(Root, "models");

    public static string SharedFacesDir => Path.GetFullPath(Path.Combine(Root, "..", "shared", "data", "faces"));

    /// <summary>A built model; fails the test (never skips) when models/build.sh has not been run.</summary>
    public static string RequireModel(string fileName)
    {
        string path = Path.Combine(ModelsDir, fileName);
        if (!File.Exists(path))
        {
            Assert.Fail($"{path} is missing: run models/build.sh first.");
        }

        return path;
    }

    public static string RequireFacePhoto(string relativePath)
    {
        string path = Path.Combine(SharedFacesDir, relativePath);
        if (!File.Exists(path))
        {
            Assert.Fail($"{path} is missing: the shared face photos are expected at ../shared/data/faces.");
        }

        return path;
    }

    private static string FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FaceService.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No FaceService.sln above {AppContext.BaseDirectory}.");
    }
}
