using FaceService.CommandLine;

namespace FaceService.ModelBuilder;

/// <summary>One sub-command of the tool.</summary>
public sealed record Command(string Name, string Usage, Func<ToolArguments, int> Run);

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
            // Options only, no positionals or switches; each command reads what it needs, then refuses the rest.
            return command.Run(ToolArguments.Parse(args[1..], positionals: 0, options: null, flags: new HashSet<string>()));
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine($"usage: {command.Usage}");
            return 2;
        }
    }
}
