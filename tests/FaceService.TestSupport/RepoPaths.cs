using FaceService.Evaluation;
using Xunit;

namespace FaceService.TestSupport;

/// <summary>Paths relative to the repository root (found by walking up to FaceService.sln) and to the shared data beside it.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootLazy = new(() => LabelledPhotoSet.RepositoryRoot(AppContext.BaseDirectory));

    public static string Root => RootLazy.Value;

    public static string ModelsDir => Path.Combine(Root, "models");

    /// <summary>../shared/data/&lt;name&gt; beside the repository (read in place, never copied into it).</summary>
    public static string SharedData(string name) => Path.GetFullPath(Path.Combine(Root, "..", "shared", "data", name));

    public static string SharedFacesDir => SharedData("faces");

    public static string LfwDevDir => SharedData("lfw-dev");

    /// <summary>A built model; fails the test (never skips) when models/build.sh has not been run.</summary>
    public static string RequireModel(string fileName)
    {
        var path = Path.Combine(ModelsDir, fileName);
        if (!File.Exists(path)) Assert.Fail($"{path} is missing: run models/build.sh first.");
        return path;
    }

    public static string RequireFacePhoto(string relativePath)
    {
        var path = Path.Combine(SharedFacesDir, relativePath);
        if (!File.Exists(path)) Assert.Fail($"{path} is missing: the shared face photos are expected at ../shared/data/faces.");
        return path;
    }
}
