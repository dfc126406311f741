using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FaceService.Inference.Runtime;

/// <summary>
/// Hands free C-heap memory back to the operating system (glibc's <c>malloc_trim</c> and <c>mallopt</c>).
/// <para>Why: ONNX Runtime and Skia allocate their buffers with malloc from many threads. glibc keeps what they free in
/// per-thread heaps and returns memory from a heap only at its top, so under steady load resident memory stepped up
/// for as long as the soak ran (docs/RELIABILITY.md, Native memory). <c>malloc_trim(0)</c> also releases the free pages
/// inside the heaps.</para>
/// </summary>
public static class NativeMemoryTrimmer
{
    /// <summary>Whether this process's C library has <c>malloc_trim</c> (glibc on Linux; not musl, macOS or Windows).</summary>
    public static bool IsSupported { get; } = OperatingSystem.IsLinux() && Probe();

    /// <summary>Releases free heap memory; true when some was released. False where <see cref="IsSupported"/> is false.</summary>
    public static bool Trim() => IsSupported && malloc_trim(0) != 0;

    private const int MallocMmapThreshold = -3; // M_MMAP_THRESHOLD in glibc's malloc.h

    /// <summary>
    /// Gives every malloc block of <paramref name="bytes"/> or more a mapping of its own, which goes back to the system
    /// when it is freed. Why: glibc raises this threshold by itself (up to 32 MiB) after such blocks are freed, after
    /// which the arena regions ONNX Runtime frees and takes again (every shrink) land in the heaps and scatter them, and
    /// the heaps only grow. Setting it also stops that adjustment. False where <see cref="IsSupported"/> is false.
    /// </summary>
    public static bool MapLargeBlocks(int bytes) => IsSupported && mallopt(MallocMmapThreshold, bytes) == 1;

    private static bool Probe()
    {
        try
        {
            return NativeLibrary.TryLoad("libc.so.6", out var libc) && NativeLibrary.TryGetExport(libc, "malloc_trim", out _);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    }

    [DllImport("libc.so.6", EntryPoint = "malloc_trim")]
    private static extern int malloc_trim(nuint pad);

    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    private static extern int mallopt(int parameter, int value);
}

/// <summary>
/// Every <see cref="InferenceOptions.NativeMemoryTrimIntervalSeconds"/> (0 = never): asks the models' next runs to free
/// the arena regions nothing uses, and hands the C heap's free memory (what the last such runs freed included) back to
/// the system.
/// </summary>
internal sealed class NativeMemoryTrimService(InferenceOptions options, OnnxSessionFactory sessions, ILogger<NativeMemoryTrimService> logger)
    : BackgroundService
{
    /// <summary>glibc's own starting threshold, kept fixed: the arena's regions above it stay out of the heaps.</summary>
    private const int LargeBlockBytes = 128 << 10;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.NativeMemoryTrimIntervalSeconds == 0) return;
        if (!NativeMemoryTrimmer.IsSupported)
            logger.LogInformation("This C library has no malloc_trim: the models' arenas shrink, but the memory they free stays with the process.");
        NativeMemoryTrimmer.MapLargeBlocks(LargeBlockBytes);

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.NativeMemoryTrimIntervalSeconds));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                sessions.RequestArenaShrink();
                if (!NativeMemoryTrimmer.IsSupported) continue;
                var watch = Stopwatch.StartNew();
                var released = NativeMemoryTrimmer.Trim();
                logger.LogDebug("malloc_trim took {ElapsedMs:F1} ms, released memory: {Released}.", watch.Elapsed.TotalMilliseconds, released);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
