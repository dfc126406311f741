namespace FaceService.ModelBuilder;

/// <summary>A wrong or missing command-line argument; reported without a stack trace.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>One sub-command of the tool.</summary>
public sealed record Command(string Name, string Usage, Func<CommandArguments, int> Run);

/// <summary>"--name value" options after the command name.</summary>
public sealed class CommandArguments
{
    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public CommandArguments(IReadOnlyList<string> args)
    {
        for (int i = 0; i < args.Count; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                throw new UsageException($"Expected '--option value' pairs, got '{args[i]}'.");
            }

            if (!_options.TryAdd(args[i][2..], args[i + 1]))
            {
                throw new UsageException($"Option '{args[i]}' is given twice.");
            }
        }
    }

    public string Required(string name) =>
        Optional(name) ?? throw new UsageException($"Option '--{name}' is required.");

    public string? Optional(string name)
    {
        _read.Add(name);
        return _options.GetValueOrDefault(name);
    }

    /// <summary>Fails on options the command did not read, so a typo is not silently ignored.</summary>
    public void RejectUnknown()
    {
        string[] unknown = _options.Keys.Where(name => !_read.Contains(name)).ToArray();
        if (unknown.Length > 0)
        {
            throw new UsageException($"Unknown option(s): {string.Join(", ", unknown.Select(name => "--" + name))}.");
        }
    }
}

/// <summary>Dispatches the first argument to the command of that name.</summary>
public sealed class CommandSet : List<Command>
{
    public int Run(string[] args)
    {
        Command? command = args.Length > 0 ? this.FirstOrDefault(c => c.Name == args[0]) : null;
        if (command is null)
        {
            Console.Error.WriteLine("Usage:");
            foreach (Command c in this)
            {
                Console.Error.WriteLine($"  {c.Usage}");
            }

            return 2;
        }

        try
        {
            return command.Run(new CommandArguments(args[1..]));
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine($"usage: {command.Usage}");
            return 2;
        }
    }
}
