using FaceService.Core.Embeddings;
using FaceService.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FaceService.Cli.Tests;

/// <summary>
/// What the commands run against: the real models (models/, built by models/build.sh), the real PostgreSQL + pgvector
/// test database (FACESERVICE_TEST_DB) and the development photos in ../shared/data/faces, read in place.
/// </summary>
public static class TestEnvironment
{
    public static string ConnectionString => TestDb.ConnectionString;

    /// <summary>The labelled single-person photos by person, in manifest order.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> People = DevPhotos.People.ToDictionary(p => p.Name, p => p.Photos);

    /// <summary>The options every command of the tests gets: the test database and the repository's models.</summary>
    public static string[] CommonArguments => ["--connection", ConnectionString, "--models", RepoPaths.ModelsDir];

    /// <summary>The store the commands write to, for checking what they wrote.</summary>
    public static (NpgsqlDataSource DataSource, PgFaceStore Store) OpenStore()
    {
        var options = new StorageOptions { ConnectionString = ConnectionString };
        var dataSource = ServiceCollectionExtensions.CreateDataSource(options);
        var database = new PgDatabase(dataSource);
        return (dataSource, new PgFaceStore(database, new PgFaceSearch(database, new EmbeddingQuantizer(), Options.Create(options), new SubjectGraphs())));
    }
}

/// <summary>A temporary folder of symbolic links to dev photos (never copies into the repository), deleted on dispose.</summary>
public sealed class PhotoFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("faceservice-cli-").FullName;

    /// <summary>Links <paramref name="photo"/> as <paramref name="relativePath"/> (folders made as needed); returns the link's path.</summary>
    public string Link(string relativePath, string photo)
    {
        var link = System.IO.Path.Combine(Path, relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(link)!);
        File.CreateSymbolicLink(link, photo);
        return link;
    }

    public string Write(string relativePath, byte[] content)
    {
        var file = System.IO.Path.Combine(Path, relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        File.WriteAllBytes(file, content);
        return file;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>Runs a command through <see cref="CliApp.RunAsync"/> with captured output, as the process would.</summary>
public static class Cli
{
    public sealed record Result(int ExitCode, string Out, string Error);

    public static async Task<Result> RunAsync(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var exitCode = await CliApp.RunAsync(args, new CliConsole(stdout, stderr, Interactive: false));
        return new Result(exitCode, stdout.ToString(), stderr.ToString());
    }

    /// <summary>A command with the test database and models, writing --json to a temporary file that is read back.</summary>
    public static async Task<(Result Result, System.Text.Json.JsonElement Json)> RunWithJsonAsync(params string[] args)
    {
        var json = System.IO.Path.GetTempFileName();
        try
        {
            var result = await RunAsync([.. args, .. TestEnvironment.CommonArguments, "--json", json]);
            Assert.True(result.ExitCode == ExitCodes.Ok, $"exit {result.ExitCode}\n{result.Out}\n{result.Error}");
            return (result, System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(json)).RootElement.Clone());
        }
        finally
        {
            File.Delete(json);
        }
    }
}
