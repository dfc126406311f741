using FaceService.Core.Naming;
using System.Text.Json;

namespace FaceService.Cli.Tests;

/// <summary>
/// A folder of three subjects (each with its last photo held back for identify), a file that is not an image and a
/// _noface folder, imported once into a collection of its own.
/// </summary>
public sealed class ImportedCollection : IAsyncLifetime
{
    public static readonly string[] Subjects = ["George_Clooney", "Mary_Carey", "Paul_Tagliabue"];
    public const string BrokenFile = "Mary_Carey/broken.jpg";

    public PhotoFolder Folder { get; } = new();
    public string Collection { get; } = "cli-" + Guid.NewGuid().ToString("N");

    /// <summary>Photos linked per subject (all of the person's photos but the last).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Enrolled { get; private set; } = null!;
    public IReadOnlyDictionary<string, string> HeldBack { get; private set; } = null!;
    public int NoFacePhotos { get; private set; }
    public Cli.Result FirstRun { get; private set; } = null!;
    public JsonElement FirstSummary { get; private set; }

    public async Task InitializeAsync()
    {
        Enrolled = Subjects.ToDictionary(s => s, s => (IReadOnlyList<string>)TestEnvironment.People[s].SkipLast(1).ToList());
        HeldBack = Subjects.ToDictionary(s => s, s => TestEnvironment.People[s][^1]);
        foreach (var (subject, photos) in Enrolled)
            foreach (var photo in photos)
                Folder.Link($"{subject}/{Path.GetFileName(photo)}", photo);
        Folder.Write(BrokenFile, "not a jpeg"u8.ToArray());
        foreach (var photo in Directory.GetFiles(Path.Combine(DevPhotos.Directory, "_noface")).Where(ImageFiles.IsImage))
            Folder.Link($"_noface/{Path.GetFileName(photo)}", photo);
        NoFacePhotos = Directory.GetFiles(Path.Combine(Folder.Path, "_noface")).Length;

        (FirstRun, FirstSummary) = await Cli.RunWithJsonAsync("import", Folder.Path, "--collection", Collection);
    }

    public async Task DisposeAsync()
    {
        var (dataSource, store) = TestEnvironment.OpenStore();
        await using (dataSource) await store.DeleteCollectionAsync(CollectionName.Parse(Collection));
        Folder.Dispose();
    }
}

public sealed class ImportTests(ImportedCollection imported) : IClassFixture<ImportedCollection>
{
    private int EnrolledPhotos => imported.Enrolled.Values.Sum(p => p.Count);

    [Fact]
    public async Task Import_enrolls_one_face_per_photo_under_its_folder_name_and_counts_the_unreadable_file()
    {
        var summary = imported.FirstSummary;
        Assert.Equal(ExitCodes.Ok, imported.FirstRun.ExitCode);
        Assert.Equal(imported.Collection, summary.GetProperty("collection").GetString());
        Assert.Equal(ImportedCollection.Subjects.Length, summary.GetProperty("subjects").GetInt32());
        Assert.Equal(EnrolledPhotos + 1, summary.GetProperty("images").GetInt32());
        Assert.Equal(EnrolledPhotos, summary.GetProperty("facesEnrolled").GetInt32());
        Assert.Equal(0, summary.GetProperty("skipped").GetInt32());
        Assert.Equal(0, summary.GetProperty("noFace").GetInt32());
        Assert.Equal(1, summary.GetProperty("errors").GetInt32());
        Assert.True(summary.GetProperty("facesPerSecond").GetDouble() > 0);
        var problem = Assert.Single(summary.GetProperty("problems").EnumerateArray());
        Assert.Equal(ImportedCollection.BrokenFile, problem.GetProperty("path").GetString());
        Assert.Contains(ImportedCollection.BrokenFile, imported.FirstRun.Out);
        Assert.Contains($"faces enrolled  {EnrolledPhotos}", imported.FirstRun.Out);

        var (dataSource, store) = TestEnvironment.OpenStore();
        await using var _ = dataSource;
        var subjects = await store.ListSubjectsAsync(CollectionName.Parse(imported.Collection), 1, 100);
        Assert.Equal(imported.Enrolled.ToDictionary(e => e.Key, e => e.Value.Count),
            subjects.Items.ToDictionary(s => s.Subject, s => s.FaceCount));
    }

    [Fact]
    public async Task Importing_again_skips_every_enrolled_photo_before_running_the_models()
    {
        var (result, summary) = await Cli.RunWithJsonAsync("import", imported.Folder.Path, "--collection", imported.Collection);

        Assert.Equal(EnrolledPhotos, summary.GetProperty("skipped").GetInt32());
        Assert.Equal(0, summary.GetProperty("facesEnrolled").GetInt32());
        // The unreadable file is not enrolled, so it is tried (and reported) again.
        Assert.Equal(1, summary.GetProperty("errors").GetInt32());
        Assert.Contains($"skipped         {EnrolledPhotos}", result.Out);
    }

    [Fact]
    public async Task Underscore_folders_are_imported_on_request_and_photos_without_a_face_are_counted_not_fatal()
    {
        var (_, summary) = await Cli.RunWithJsonAsync("import", imported.Folder.Path, "--collection", imported.Collection, "--include-underscore");

        Assert.Equal(imported.NoFacePhotos, summary.GetProperty("noFace").GetInt32());
        Assert.Equal(EnrolledPhotos, summary.GetProperty("skipped").GetInt32());
        Assert.Equal(EnrolledPhotos + 1 + imported.NoFacePhotos, summary.GetProperty("images").GetInt32());
        Assert.Equal(imported.NoFacePhotos, summary.GetProperty("problems").EnumerateArray().Count(p => p.GetProperty("kind").GetString() == "no-face"));
    }

    [Theory]
    [MemberData(nameof(SubjectNames))]
    public async Task Identify_finds_the_subject_of_a_held_back_photo(string subject)
    {
        var (result, json) = await Cli.RunWithJsonAsync("identify", imported.HeldBack[subject], "--collection", imported.Collection, "--k", "3");

        var face = Assert.Single(json.GetProperty("faces").EnumerateArray());
        Assert.Equal(subject, face.GetProperty("subject").GetString());
        var candidates = face.GetProperty("candidates").EnumerateArray().ToList();
        Assert.Equal(3, candidates.Count);
        Assert.Equal(subject, candidates[0].GetProperty("subject").GetString());
        Assert.Contains($"): {subject}", result.Out);
    }

    public static TheoryData<string> SubjectNames => new(ImportedCollection.Subjects);
}
