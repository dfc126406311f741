using FaceService.CommandLine;
using FaceService.Core.Services;
using FaceService.Core.Storage;
using Microsoft.Extensions.Options;

namespace FaceService.Cli;

/// <summary>
/// The faceservice command line: import, index, people, identify, cluster, partition, partitions, keys create|list|rotate|revoke. Exit codes: 0 done, 1 failed (database, models, image),
/// 2 bad command line (with the usage), 130 interrupted.
/// </summary>
public static class CliApp
{
    public const string CommonUsage = """
        Common options:
          --connection <string>  PostgreSQL connection string (else ConnectionStrings__FaceStore, else appsettings.json)
          --models <folder>      folder of the ONNX models (else Inference__ModelsPath, else ./models or a parent's)
          --device auto|cpu|cuda where the models run (else Inference__Device)
          --concurrency <n>      photos analyzed at the same time (default 4), so recognition runs in batches
          --json <file>          also write the result as JSON
          --verbose              log model loading and other information to stderr
        """;

    private sealed record Command(string Name, string Usage, int Positionals, string[] Options, string[] Flags,
        Func<ToolArguments, CliConsole, CancellationToken, Task<int>> Run);

    private static readonly Command[] Commands =
    [
        new("import", ImportCommand.Usage, 1, ImportCommand.Options, ImportCommand.Flags, ImportCommand.RunAsync),
        new("index", IndexCommand.Usage, 1, IndexCommand.Options, IndexCommand.Flags, IndexCommand.RunAsync),
        new("people", PeopleCommand.Usage, 0, PeopleCommand.Options, PeopleCommand.Flags, PeopleCommand.RunAsync),
        new("identify", IdentifyCommand.Usage, 1, IdentifyCommand.Options, IdentifyCommand.Flags, IdentifyCommand.RunAsync),
        new("cluster", ClusterCommand.Usage, 1, ClusterCommand.Options, ClusterCommand.Flags, ClusterCommand.RunAsync),
        new("partition", PartitionCommand.Usage, 1, PartitionCommand.Options, PartitionCommand.Flags, PartitionCommand.RunAsync),
        new("partitions", PartitionCommand.ListUsage, 0, PartitionCommand.Options, PartitionCommand.Flags, PartitionCommand.ListAsync),
        new("keys create", KeysCommand.CreateUsage, 0, KeysCommand.CreateOptions, KeysCommand.Flags, KeysCommand.CreateAsync),
        new("keys list", KeysCommand.ListUsage, 0, KeysCommand.ListOptions, KeysCommand.Flags, KeysCommand.ListAsync),
        new("keys rotate", KeysCommand.RotateUsage, 1, KeysCommand.RotateOptions, KeysCommand.Flags, KeysCommand.RotateAsync),
        new("keys revoke", KeysCommand.RevokeUsage, 1, KeysCommand.Options, KeysCommand.Flags, KeysCommand.RevokeAsync),
    ];

    public static string Usage => UsageOf(Commands);

    private static string UsageOf(params Command[] commands) =>
        "Usage:\n" + string.Concat(commands.Select(c => c.Usage + "\n")) + CommonUsage + "\n";

    public static async Task<int> RunAsync(IReadOnlyList<string> args, CliConsole console, CancellationToken ct = default)
    {
        if (args.Count == 1 && args[0] is "--help" or "-h" or "help")
        {
            console.Out.Write(Usage);
            return ExitCodes.Ok;
        }
        // A command is one word (import) or a group and a verb (keys create).
        var command = Commands.FirstOrDefault(c => c.Name.Split(' ').SequenceEqual(args.Take(c.Name.Count(ch => ch == ' ') + 1)));
        if (command is null)
        {
            var group = args.Count > 0 ? Commands.Where(c => c.Name.StartsWith(args[0] + " ", StringComparison.Ordinal)).ToArray() : [];
            console.Error.WriteLine(args.Count == 0 ? "error: a command is required."
                : group.Length > 0 ? $"error: '{args[0]}' needs one of: {string.Join(", ", group.Select(c => c.Name[(args[0].Length + 1)..]))}."
                : $"error: unknown command '{args[0]}'.");
            console.Error.Write(group.Length > 0 ? UsageOf(group) : Usage);
            return ExitCodes.Usage;
        }
        var rest = args.Skip(command.Name.Count(ch => ch == ' ') + 1).ToList();
        if (rest is ["--help" or "-h"])
        {
            console.Out.Write(UsageOf(command));
            return ExitCodes.Ok;
        }

        try
        {
            var parsed = ToolArguments.Parse(rest, command.Positionals, command.Options.ToHashSet(), command.Flags.ToHashSet());
            return await command.Run(parsed, console, ct);
        }
        catch (UsageException e)
        {
            return UsageError(console, command, e.Message);
        }
        catch (FaceServiceException e) when (e.Error == FaceServiceError.ValidationFailed)
        {
            return UsageError(console, command, e.Target is { } target ? $"--{OptionName(target)}: {e.Message}" : e.Message);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            console.Error.WriteLine("Interrupted." + command.Name switch
            {
                "import" => " Run the same import again to resume: enrolled photos are skipped.",
                "index" => " Run the same index again to resume: indexed photos are skipped.",
                _ => "",
            });
            return ExitCodes.Interrupted;
        }
        catch (Exception e) when (e is FaceServiceException or StoreUnavailableException or StoreOverloadedException or OptionsValidationException
                                      or FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
        {
            console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.Failed;
        }
    }

    private static int UsageError(CliConsole console, Command command, string message)
    {
        console.Error.WriteLine($"error: {message}");
        console.Error.Write(UsageOf(command));
        return ExitCodes.Usage;
    }

    // A service's field name as the command line spells it: requestsPerMinute → requests-per-minute.
    private static string OptionName(string field) =>
        string.Concat(field.Select(c => char.IsAsciiLetterUpper(c) ? "-" + char.ToLowerInvariant(c) : c.ToString()));
}
