using System.Globalization;

namespace FaceService.Cli;

/// <summary>A command line the user got wrong: the tool prints the message and the command's usage and exits with 2.</summary>
public sealed class CliUsageException(string message) : Exception(message);

/// <summary>
/// The arguments after the command name: positionals, "--name value" / "--name=value" options and "--flag" switches.
/// Only the names a command declares are accepted, so a typo is an error rather than silently ignored.
/// </summary>
public sealed class CliArguments
{
    private readonly List<string> _positionals = [];
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    private CliArguments() { }

    public IReadOnlyList<string> Positionals => _positionals;

    public static CliArguments Parse(IReadOnlyList<string> args, int positionals, IReadOnlySet<string> options, IReadOnlySet<string> flags)
    {
        var parsed = new CliArguments();
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
                if (eq > 0) throw new CliUsageException($"--{name} takes no value.");
                parsed._flags.Add(name);
            }
            else if (options.Contains(name))
            {
                var value = eq > 0 ? arg[(eq + 1)..] : i + 1 < args.Count ? args[++i] : throw new CliUsageException($"--{name} needs a value.");
                if (!parsed._values.TryAdd(name, value)) throw new CliUsageException($"--{name} is given twice.");
            }
            else
            {
                throw new CliUsageException($"Unknown option '{arg}'.");
            }
        }
        if (parsed._positionals.Count != positionals)
            throw new CliUsageException(parsed._positionals.Count < positionals
                ? "Missing argument."
                : $"Unexpected argument '{parsed._positionals[positionals]}'.");
        return parsed;
    }

    public bool Has(string flag) => _flags.Contains(flag);

    public string? Get(string name) => _values.GetValueOrDefault(name) is { } value
        ? value.Length > 0 ? value : throw new CliUsageException($"--{name} needs a value.")
        : null;

    public int GetInt(string name, int fallback, int min, int max)
    {
        if (Get(name) is not { } text) return fallback;
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new CliUsageException($"--{name} must be a whole number from {min} to {max}; got '{text}'.");
    }

    /// <summary>A squared L2 distance threshold: greater than 0 and at most 4.</summary>
    public float? GetThreshold(string name)
    {
        if (Get(name) is not { } text) return null;
        return float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && float.IsFinite(value) && value is > 0 and <= 4
            ? value
            : throw new CliUsageException($"--{name} is a squared L2 distance, greater than 0 and at most 4; got '{text}'.");
    }

    public TEnum? GetEnum<TEnum>(string name) where TEnum : struct, Enum
    {
        if (Get(name) is not { } text) return null;
        return Enum.TryParse<TEnum>(text, ignoreCase: true, out var value) && Enum.IsDefined(value) && !char.IsDigit(text[0])
            ? value
            : throw new CliUsageException($"--{name} must be one of {string.Join(", ", Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant()))}; got '{text}'.");
    }
}
