using System.Globalization;
using FaceService.CommandLine;

namespace FaceService.Cli;

/// <summary>The faceservice command line's own kinds of values, on the shared parser.</summary>
public static class CliArgumentValues
{
    /// <summary>A squared L2 distance threshold: greater than 0 and at most 4.</summary>
    public static float? GetThreshold(this ToolArguments args, string name)
    {
        if (args.Get(name) is not { } text) return null;
        return float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && float.IsFinite(value) && value is > 0 and <= 4
            ? value
            : throw new UsageException($"--{name} is a squared L2 distance, greater than 0 and at most 4; got '{text}'.");
    }

    /// <summary>A fraction between 0 and 1 inclusive (a quality threshold).</summary>
    public static float? GetFraction(this ToolArguments args, string name)
    {
        if (args.Get(name) is not { } text) return null;
        return float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value is >= 0 and <= 1
            ? value
            : throw new UsageException($"--{name} is a number between 0 and 1; got '{text}'.");
    }
}
