using System.Diagnostics;

namespace FaceService.Api.Tests.Fuzz;

/// <summary>
/// Managed heap (after a full collection) and process working set at the start of a fuzz run, compared at its end with
/// generous bounds: what a run leaks grows with its case count, while pools and caches level off.
/// </summary>
public sealed class MemoryProbe
{
    private const long MiB = 1024 * 1024;
    private readonly long _managed;
    private readonly long _workingSet;

    private MemoryProbe(long managed, long workingSet) => (_managed, _workingSet) = (managed, workingSet);

    public static MemoryProbe Start() => new(Managed(), WorkingSet());

    public void AssertBounded(ITestOutputHelper output, long maxManagedGrowthMiB, long maxWorkingSetGrowthMiB = 1536)
    {
        var (managed, workingSet) = (Managed(), WorkingSet());
        output.WriteLine($"managed heap {_managed / MiB} -> {managed / MiB} MiB, working set {_workingSet / MiB} -> {workingSet / MiB} MiB");
        Assert.True(managed - _managed < maxManagedGrowthMiB * MiB, $"managed heap grew by {(managed - _managed) / MiB} MiB");
        Assert.True(workingSet - _workingSet < maxWorkingSetGrowthMiB * MiB, $"working set grew by {(workingSet - _workingSet) / MiB} MiB");
    }

    private static long Managed()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static long WorkingSet()
    {
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }
}
