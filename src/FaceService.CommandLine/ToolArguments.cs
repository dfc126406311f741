using System.Globalization;

namespace FaceService.CommandLine;

/// <summary>A command line the user got wrong: the tool prints the message and the command's usage and exits with 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// The arguments after a tool's command name, for the three tools (faceservice, the bench, the model builder):
/// positionals, "--name value" / "--name=value" options and "--flag" switches. A command that declares its option names
/// gets a typo refused at once; one that does not (the bench's modes read what they need) can ask afterwards which
/// options it never read (<see cref="Unread"/>).
/// </summary>
public sealed class ToolArguments
{
    private readonly List<string> _positionals = [];
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    private ToolArguments() { }

    public IReadOnlyList<string> Positionals => _positionals;

    /// <param name="args">The arguments after the command name.</param>
    /// <param name="positionals">How many positionals the command takes.</param>
    /// <param name="options">The option names the command accepts; null: any.</param>
    /// <param name="flags">The switch names the command accepts (a switch takes no value).</param>
    /// <exception cref="UsageException">An unknown or repeated option, a missing value, or a wrong number of positionals.</exception>
    public static ToolArguments Parse(IReadOnlyList<string> args, int positionals, IReadOnlySet<string>? options, IReadOnlySet<string> flags)
    {
        var parsed = new ToolArguments();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg == "--")
            {
                parsed._positionals.Add(arg);
                continue;
            }
            var eq = arg.IndexOf('=');
            var name = eq > 0 ? arg[2..eq] : arg[2..];
            if (flags.Contains(name))
            {
                if (eq > 0) throw new UsageException($"--{name} takes no value.");
                parsed._flags.Add(name);
            }
            else if (options is null || options.Contains(name))
            {
                var value = eq > 0 ? arg[(eq + 1)..] : i + 1 < args.Count ? args[++i] : throw new UsageException($"--{name} needs a value.");
                if (!parsed._values.TryAdd(name, value)) throw new UsageException($"--{name} is given twice.");
            }
            else
            {
                throw new UsageException($"Unknown option '{arg}'.");
            }
        }
        if (parsed._positionals.Count != positionals)
            throw new UsageException(parsed._positionals.Count < positionals
                ? "Missing argument."
                : $"Unexpected argument '{parsed._positionals[positionals]}'.");
        return parsed;
    }

    /// <summary>Options given but never read: typos, for a command that accepts any name.</summary>
    public IReadOnlyList<string> Unread => _values.Keys.Where(name => !_read.Contains(name)).Select(name => "--" + name).ToList();

    /// <summary>For a command that accepts any name: refuses the options it did not read, once it has read its own.</summary>
    public void RejectUnread()
    {
        if (Unread is [_, ..] unread) throw new UsageException($"Unknown option(s): {string.Join(", ", unread)}.");
    }

    public bool Has(string flag) => _flags.Contains(flag);

    public string? Get(string name)
    {
        _read.Add(name);
        return _values.GetValueOrDefault(name) is { } value
            ? value.Length > 0 ? value : throw new UsageException($"--{name} needs a value.")
            : null;
    }

    public string Get(string name, string fallback) => Get(name) ?? fallback;

    public string Required(string name) => Get(name) ?? throw new UsageException($"--{name} is required.");

    public int Get(string name, int fallback) => GetInt(name, fallback, int.MinValue, int.MaxValue);

    public float Get(string name, float fallback) => Get(name) is { } text ? ParseFloat(name, text) : fallback;

    public int GetInt(string name, int fallback, int min, int max)
    {
        if (Get(name) is not { } text) return fallback;
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new UsageException(min == int.MinValue
                ? $"--{name} must be a whole number; got '{text}'."
                : $"--{name} must be a whole number from {min} to {max}; got '{text}'.");
    }

    public TEnum? GetEnum<TEnum>(string name) where TEnum : struct, Enum
    {
        if (Get(name) is not { } text) return null;
        return Enum.TryParse<TEnum>(text, ignoreCase: true, out var value) && Enum.IsDefined(value) && !char.IsDigit(text[0])
            ? value
            : throw new UsageException($"--{name} must be one of {string.Join(", ", Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant()))}; got '{text}'.");
    }

    private static float ParseFloat(string name, string text) =>
        float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && float.IsFinite(value)
            ? value
            : throw new UsageException($"--{name} must be a number; got '{text}'.");
}
