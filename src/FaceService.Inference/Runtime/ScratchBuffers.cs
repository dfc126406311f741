using System.Buffers;
using System.Runtime.CompilerServices;

namespace FaceService.Inference.Runtime;

/// <summary>
/// Scratch arrays for one model input or one rendering: small ones from <see cref="ArrayPool{T}.Shared"/>, large ones
/// allocated per call. The shared pool keeps what it is given per core and per thread for the life of the process; for
/// the pyramid levels of a 40-megapixel photo (tens of megabytes each) that would be hundreds of megabytes held for good.
/// </summary>
internal static class ScratchBuffers
{
    // A power of two, so that every array the pool hands out for a request under it is itself under it.
    private const int MaxPooledBytes = 4 << 20;

    public static T[] Rent<T>(int length) =>
        (long)length * Unsafe.SizeOf<T>() <= MaxPooledBytes ? ArrayPool<T>.Shared.Rent(length) : GC.AllocateUninitializedArray<T>(length);

    public static void Return<T>(T[] array)
    {
        if ((long)array.Length * Unsafe.SizeOf<T>() <= MaxPooledBytes) ArrayPool<T>.Shared.Return(array);
    }
}
