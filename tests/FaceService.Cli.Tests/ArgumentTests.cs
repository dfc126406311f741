using System.Diagnostics;

namespace FaceService.Cli.Tests;

public sealed class ArgumentTests
{
    private static readonly string Photo = TestEnvironment.People["George_Clooney"][0];
    private static readonly string Folder = DevPhotos.Directory;

    public static TheoryData<string[]> BadCommandLines => new(
        [],
        ["frobnicate"],
        ["import"],
        ["import", Folder, "extra"],
        ["import", Folder, "--bogus"],
        ["import", Folder, "--collection"],
        ["import", Folder, "--collection", "not a name!"],
        ["import", "/no/such/folder"],
        ["import", Folder, "--concurrency", "0"],
        ["import", Folder, "--include-underscore=yes"],
        ["identify", "/no/such/photo.jpg"],
        ["identify", Photo, "--k", "two"],
        ["identify", Photo, "--threshold", "5"],
        ["identify", Photo, "--all-faces", "--all-faces", "--k", "1", "--k", "2"],
        ["cluster", Folder, "--linkage", "ward"],
        ["cluster", Folder, "--linkage", "1"],
        ["cluster", Folder, "--threshold", "-1"],
        ["cluster", Folder, "--device", "tpu"],
        ["keys"],
        ["keys", "frobnicate"],
        ["keys", "create", "--roles", "read", "--collections", "*"],
        ["keys", "create", "--name", "x", "--collections", "*"],
        ["keys", "create", "--name", "x", "--roles", "read"],
        ["keys", "create", "--name", " ", "--roles", "read", "--collections", "*"],
        ["keys", "create", "--name", "x", "--roles", "root", "--collections", "*"],
        ["keys", "create", "--name", "x", "--roles", ",", "--collections", "*"],
        ["keys", "create", "--name", "x", "--roles", "read", "--collections", "not a name!"],
        ["keys", "create", "--name", "x", "--roles", "read", "--collections", "*", "--models", "models"],
        ["keys", "list", "extra"],
        ["keys", "revoke"],
        ["keys", "revoke", "not-a-key-id"]);

    [Theory]
    [MemberData(nameof(BadCommandLines))]
    public async Task A_bad_command_line_exits_with_2_and_the_usage(string[] args)
    {
        var result = await Cli.RunAsync(args);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.StartsWith("error: ", result.Error);
        Assert.Contains("Usage:", result.Error);
        Assert.Equal("", result.Out);
    }

    [Fact]
    public async Task A_k_beyond_the_configured_maximum_is_a_usage_error_from_the_service_rules()
    {
        var result = await Cli.RunAsync(["identify", Photo, "--k", "100000", .. TestEnvironment.CommonArguments]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("k must be between 1 and", result.Error);
        Assert.Contains("Usage:", result.Error);
    }

    [Fact]
    public async Task An_unreachable_database_fails_with_1_and_says_why()
    {
        var result = await Cli.RunAsync(["identify", Photo, "--connection", "Host=127.0.0.1;Port=1;Username=x;Password=x;Database=x;Timeout=2",
            "--models", Path.Combine(RepoPaths.Root, "models")]);

        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.StartsWith("error: ", result.Error);
        Assert.DoesNotContain("Usage:", result.Error);
    }

    [Fact]
    public async Task Help_prints_every_command_and_exits_with_0()
    {
        var result = await Cli.RunAsync("--help");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        foreach (var command in new[] { "faceservice import", "faceservice identify", "faceservice cluster", "faceservice keys create", "faceservice keys list",
                     "faceservice keys revoke", "--connection" })
            Assert.Contains(command, result.Out);
    }

    /// <summary>The real process: the entry point, its exit code and stderr.</summary>
    [Fact]
    public async Task The_faceservice_process_exits_with_2_on_a_missing_argument()
    {
        var tool = Path.Combine(AppContext.BaseDirectory, "faceservice.dll");
        var start = new ProcessStartInfo("dotnet", [tool, "cluster"]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.Equal(ExitCodes.Usage, process.ExitCode);
        Assert.Contains("error: Missing argument.", error);
        Assert.Contains("faceservice cluster <folder>", error);
    }

    [Theory]
    [InlineData("--roles", "root", "--roles: Unknown role 'root'")]
    [InlineData("--collections", "not a name!", "--collections: ")]
    [InlineData("--name", "   ", "--name: name is 1 to 128 characters")]
    public async Task A_bad_key_argument_names_the_option_and_what_is_wrong(string option, string value, string expected)
    {
        var args = new Dictionary<string, string> { ["--name"] = "x", ["--roles"] = "read", ["--collections"] = "*", [option] = value };
        var result = await Cli.RunAsync(["keys", "create", .. args.SelectMany(a => new[] { a.Key, a.Value })]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.StartsWith($"error: {expected}", result.Error);
        Assert.Contains("faceservice keys create", result.Error);
        Assert.DoesNotContain("faceservice import", result.Error);
    }
}
