using FaceService.Core.Naming;

namespace FaceService.Cli.Tests;

/// <summary>Folder names are subject ids in NFC: one person's photos under "José" typed two ways are one subject.</summary>
public sealed class UnicodeFolderTests
{
    [Fact]
    public async Task Folders_named_in_either_unicode_form_import_into_one_subject_and_look_alike_names_are_reported()
    {
        var photos = TestEnvironment.People["George_Clooney"];
        using var folder = new PhotoFolder();
        folder.Link($"Jos\u00e9/{Path.GetFileName(photos[0])}", photos[0]);     // typed on Linux (NFC)
        folder.Link($"Jose\u0301/{Path.GetFileName(photos[1])}", photos[1]);    // from a macOS folder name (NFD)
        folder.Link($"Bob\u202Eevil/{Path.GetFileName(photos[2])}", photos[2]); // right-to-left override
        var collection = CollectionName.Parse("cli-unicode-" + Guid.NewGuid().ToString("N")[..12]);
        var (dataSource, store) = TestEnvironment.OpenStore();
        await using var _ = dataSource;
        try
        {
            var (result, summary) = await Cli.RunWithJsonAsync("import", folder.Path, "--collection", collection.Value);

            Assert.Equal(ExitCodes.Ok, result.ExitCode);
            Assert.Equal(2, summary.GetProperty("facesEnrolled").GetInt32());
            Assert.Equal(1, summary.GetProperty("errors").GetInt32());
            var problem = Assert.Single(summary.GetProperty("problems").EnumerateArray());
            Assert.Contains("not a valid subject id", problem.GetProperty("message").GetString());
            Assert.Contains("U+202E", problem.GetProperty("message").GetString());
            var subject = Assert.Single((await store.ListSubjectsAsync(collection, 1, 10)).Items);
            Assert.Equal("Jos\u00e9", subject.Subject);
            Assert.Equal(2, subject.FaceCount);
        }
        finally
        {
            await store.DeleteCollectionAsync(collection);
        }
    }
}
