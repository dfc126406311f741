using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FaceService.Core.Embeddings;

/// <summary>Exact integer dot product of two 128-byte codes, the inner loop of every in-process search over codes.</summary>
public static class CodeDot
{
    private const int Dimensions = EmbeddingQuantizer.Dimensions;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Of(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        if (a.Length < Dimensions || b.Length < Dimensions) throw new ArgumentException($"Codes have {Dimensions} bytes.");
        if (!Avx2.IsSupported)
        {
            var sum = 0;
            for (var i = 0; i < Dimensions; i++) sum += a[i] * b[i];
            return sum;
        }
        ref var pa = ref MemoryMarshal.GetReference(a);
        ref var pb = ref MemoryMarshal.GetReference(b);
        var accumulator = Vector256<int>.Zero;
        for (var offset = 0; offset < Dimensions; offset += Vector256<sbyte>.Count)
        {
            var (aLow, aHigh) = Vector256.Widen(Vector256.LoadUnsafe(ref pa, (nuint)offset));
            var (bLow, bHigh) = Vector256.Widen(Vector256.LoadUnsafe(ref pb, (nuint)offset));
            // |a·b| ≤ 2·127² per pair of int16 products: no overflow in the int32 lanes.
            accumulator += Avx2.MultiplyAddAdjacent(aLow, bLow) + Avx2.MultiplyAddAdjacent(aHigh, bHigh);
        }
        return Vector256.Sum(accumulator);
    }
}
