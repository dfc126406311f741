using System.Diagnostics;
using System.Globalization;

namespace FaceService.Bench;

/// <summary>`--name value` options of a bench mode, and the machine description every report starts with.</summary>
public sealed class BenchArguments
{
    private readonly Dictionary<string, string> _values;

    private BenchArguments(Dictionary<string, string> values) => _values = values;

    public static BenchArguments Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"Expected '--option value', got '{string.Join(' ', args[i..])}'.");
            values[args[i][2..]] = args[i + 1];
        }
        return new BenchArguments(values);
    }

    public string Get(string name, string fallback) => _values.GetValueOrDefault(name, fallback);

    public int Get(string name, int fallback) => _values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public float Get(string name, float fallback) => _values.TryGetValue(name, out var v) ? float.Parse(v, CultureInfo.InvariantCulture) : fallback;

    /// <summary>Cores, CPU model (from /proc/cpuinfo), memory, OS and runtime.</summary>
    public static string DescribeMachine()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var memoryGiB = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        return $"{Environment.ProcessorCount} cores, {cpu ?? "unknown CPU"}, {memoryGiB:F0} GiB, " +
               $"{System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }

    /// <summary>Peak resident memory of this process so far.</summary>
    public static long PeakWorkingSetBytes()
    {
        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64;
    }
}
