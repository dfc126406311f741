using System.Runtime.InteropServices;
using FaceService.Inference.Runtime;

namespace FaceService.Inference.Tests;

public class NativeMemoryTrimmerTests
{
    [Fact]
    public void Is_supported_on_glibc_Linux()
    {
        var glibcLinux = OperatingSystem.IsLinux() && !RuntimeInformation.RuntimeIdentifier.Contains("musl", StringComparison.Ordinal);
        Assert.Equal(glibcLinux, NativeMemoryTrimmer.IsSupported);
    }

    [Fact]
    public void Trim_returns_memory_freed_below_a_live_block_to_the_system()
    {
        if (!NativeMemoryTrimmer.IsSupported) return; // glibc only; the service logs that it cannot trim elsewhere

        // 64 MiB in 64 KiB blocks (below glibc's mmap threshold, so they come from a heap), all written, then all freed
        // but the last: the free space lies under a live block, where glibc's own trimming at the heap's top cannot
        // reach it. The resident set keeps it until malloc_trim releases the free pages.
        const int blockSize = 64 * 1024, blocks = 1024;
        long before = 0, after = 0;
        var thread = new Thread(() =>
        {
            var pointers = new IntPtr[blocks];
            for (var i = 0; i < blocks; i++)
            {
                pointers[i] = Marshal.AllocHGlobal(blockSize);
                unsafe { new Span<byte>((void*)pointers[i], blockSize).Fill(1); }
            }
            for (var i = 0; i < blocks - 1; i++) Marshal.FreeHGlobal(pointers[i]);
            before = ResidentAnonymousBytes();
            NativeMemoryTrimmer.Trim();
            after = ResidentAnonymousBytes();
            Marshal.FreeHGlobal(pointers[^1]);
        });
        thread.Start();
        thread.Join();

        // Other tests allocate meanwhile, so ask for half of what was freed.
        Assert.True(before - after >= blocks * (long)blockSize / 2,
            $"resident anonymous memory {before >> 20} MiB before the trim, {after >> 20} MiB after");
    }

    internal static long ResidentAnonymousBytes()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("RssAnon:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }
}
