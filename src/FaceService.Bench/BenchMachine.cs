using System.Diagnostics;

namespace FaceService.Bench;

/// <summary>The machine description every report starts with, and the process's peak memory.</summary>
public static class BenchMachine
{
    /// <summary>The two lines a report on labelled photos starts with: date and machine.</summary>
    public static void PrintHeader()
    {
        Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"machine: {DescribeMachine()}");
    }

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
