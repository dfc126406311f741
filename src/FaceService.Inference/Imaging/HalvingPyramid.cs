using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using FaceService.Core.Imaging;

namespace FaceService.Inference.Imaging;

/// <summary>
/// A photo and its halvings: level k is the photo at 1/2^k, each pixel the mean of a 2x2 block of the level before
/// (an odd last row or column repeats its edge), so pixel (x, y) of level k covers exactly the photo's pixels
/// [2^k·x, 2^k·(x+1)) x [2^k·y, 2^k·(y+1)). Levels are made when first asked for, by whichever thread asks first.
/// <para>Why: area-averaging a box out of the photo costs its area in the photo; out of the level where the box still
/// spans at least the target's size it costs about the target's size, for nearly the same pixels. Drawn from the photo
/// itself, MTCNN's pyramid levels and crops took 20 of its 44 ms on the dev set's larger photos.</para>
/// </summary>
internal sealed class HalvingPyramid(RgbaImage photo)
{
    private readonly List<RgbaImage> _levels = [photo];

    public RgbaImage Photo { get; } = photo;

    /// <summary>
    /// The smallest level on which a target pixel still covers at least one level pixel, for a resize that maps
    /// <paramref name="photoPixelsPerTarget"/> photo pixels onto one target pixel; with its shift k (level = photo / 2^k).
    /// </summary>
    public (RgbaImage Level, int Shift) For(float photoPixelsPerTarget)
    {
        var shift = 0;
        while ((1 << (shift + 1)) <= photoPixelsPerTarget && CanHalve(LevelAt(shift))) shift++;
        return (LevelAt(shift), shift);
    }

    private static bool CanHalve(RgbaImage level) => level.Width >= 2 && level.Height >= 2;

    // Crops are cut on several threads at once (MTCNN's R-Net and O-Net candidates).
    private RgbaImage LevelAt(int shift)
    {
        lock (_levels)
        {
            while (_levels.Count <= shift) _levels.Add(Halve(_levels[^1]));
            return _levels[shift];
        }
    }

    /// <summary>The 2x2 means of <paramref name="source"/>, rounded; an odd last column or row averages with itself.</summary>
    public static RgbaImage Halve(RgbaImage source)
    {
        int width = (source.Width + 1) / 2, height = (source.Height + 1) / 2;
        var target = GC.AllocateUninitializedArray<byte>(width * height * 4); // every pixel is written below
        var sourcePixels = MemoryMarshal.Cast<byte, uint>(source.Pixels.AsSpan());
        var targetPixels = MemoryMarshal.Cast<byte, uint>(target.AsSpan());
        var pairs = source.Width / 2;
        for (var y = 0; y < height; y++)
        {
            var upper = sourcePixels.Slice(2 * y * source.Width, source.Width);
            var lower = 2 * y + 1 < source.Height ? sourcePixels.Slice((2 * y + 1) * source.Width, source.Width) : upper;
            var row = targetPixels.Slice(y * width, width);
            HalveRow(MemoryMarshal.Cast<uint, ulong>(upper[..(2 * pairs)]), MemoryMarshal.Cast<uint, ulong>(lower[..(2 * pairs)]), row[..pairs]);
            if (pairs < width) row[pairs] = Mean(upper[^1], upper[^1], lower[^1], lower[^1]);
        }
        return new RgbaImage(width, height, target);
    }

    // One ulong holds two neighbouring RGBA pixels; the channel sums of four pixels (at most 1020) fit in 16-bit lanes.
    private const ulong EvenBytes = 0x00FF00FF_00FF00FFUL;

    private static void HalveRow(ReadOnlySpan<ulong> upper, ReadOnlySpan<ulong> lower, Span<uint> target)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var count = Vector256<ulong>.Count;
            for (; i + 2 * count <= upper.Length; i += 2 * count)
            {
                // Narrow keeps each ulong's low half: the mean of the pair's four pixels.
                Vector256.Narrow(Means(upper.Slice(i, count), lower.Slice(i, count)),
                    Means(upper.Slice(i + count, count), lower.Slice(i + count, count))).CopyTo(target[i..]);
            }
        }
        for (; i < upper.Length; i++)
        {
            ulong a = upper[i], b = lower[i];
            target[i] = Mean((uint)a, (uint)(a >> 32), (uint)b, (uint)(b >> 32));
        }
    }

    private static Vector256<ulong> Means(ReadOnlySpan<ulong> upper, ReadOnlySpan<ulong> lower)
    {
        var mask = Vector256.Create(EvenBytes);
        Vector256<ulong> a = Vector256.Create(upper), b = Vector256.Create(lower);
        Vector256<ulong> even = (a & mask) + (b & mask), odd = ((a >> 8) & mask) + ((b >> 8) & mask);
        // Low half: the two left pixels' sums; add the two right pixels' (high half), round, divide by four.
        var two = Vector256.Create(0x0002_0002_0002_0002UL);
        even = (even + (even >> 32) + two) >> 2;
        odd = (odd + (odd >> 32) + two) >> 2;
        return (even & mask) | ((odd & mask) << 8);
    }

    private static uint Mean(uint p, uint q, uint r, uint s)
    {
        uint result = 0;
        for (var shift = 0; shift < 32; shift += 8)
        {
            var sum = ((p >> shift) & 0xFF) + ((q >> shift) & 0xFF) + ((r >> shift) & 0xFF) + ((s >> shift) & 0xFF);
            result |= ((sum + 2) >> 2) << shift;
        }
        return result;
    }
}
