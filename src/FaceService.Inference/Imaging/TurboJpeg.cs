using System.Runtime.InteropServices;

namespace FaceService.Inference.Imaging;

/// <summary>
/// JPEG pixels through the system's libjpeg-turbo (its TurboJPEG API, <c>libturbojpeg.so.0</c>: Debian's libturbojpeg0,
/// Ubuntu's libturbojpeg). SkiaSharp's own libjpeg-turbo is built without its SIMD code (jsimd_none), so its IDCT, colour
/// conversion and upsampling run in plain C: the system library decodes the same files 2-2.5 times as fast, to the same
/// bytes (the same islow IDCT and fancy upsampling, which libjpeg-turbo's SIMD code computes exactly;
/// SkiaImageDecoderTests compare every dev photo). Only YCbCr and greyscale files are decoded here, and any libjpeg
/// warning stops the decode (<c>TJFLAG_STOPONWARNING</c>): the caller then decodes with Skia, which keeps every verdict
/// on damaged files (truncation, extraneous bytes, CMYK) exactly as before.
/// </summary>
internal sealed unsafe class TurboJpeg
{
    private const int PixelFormatRgba = 7;               // TJPF_RGBA: R, G, B, A = 0xFF
    private const int FlagAccurateDct = 4096;             // TJFLAG_ACCURATEDCT (the decompressor's default, said outright)
    private const int FlagStopOnWarning = 8192;           // TJFLAG_STOPONWARNING
    private const int ColourspaceYCbCr = 1, ColourspaceGray = 2;

    private readonly delegate* unmanaged<nint> _initDecompress;
    private readonly delegate* unmanaged<nint, byte*, CULong, int*, int*, int*, int*, int> _decompressHeader3;
    private readonly delegate* unmanaged<nint, byte*, CULong, byte*, int, int, int, int, int, int> _decompress2;
    private readonly delegate* unmanaged<nint, int> _destroy;

    private TurboJpeg(nint library)
    {
        _initDecompress = (delegate* unmanaged<nint>)NativeLibrary.GetExport(library, "tjInitDecompress");
        _decompressHeader3 = (delegate* unmanaged<nint, byte*, CULong, int*, int*, int*, int*, int>)NativeLibrary.GetExport(library, "tjDecompressHeader3");
        _decompress2 = (delegate* unmanaged<nint, byte*, CULong, byte*, int, int, int, int, int, int>)NativeLibrary.GetExport(library, "tjDecompress2");
        _destroy = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(library, "tjDestroy");
    }

    private static readonly Lazy<TurboJpeg?> Loaded = new(Load);

    /// <summary>The system's TurboJPEG, or null where it is not installed (the decoder then uses Skia's codec alone).</summary>
    public static TurboJpeg? Installed => Loaded.Value;

    private static TurboJpeg? Load()
    {
        string[] names = OperatingSystem.IsWindows() ? ["turbojpeg.dll"]
            : OperatingSystem.IsMacOS() ? ["libturbojpeg.0.dylib", "libturbojpeg.dylib"]
            : ["libturbojpeg.so.0"];
        foreach (var name in names)
        {
            if (!NativeLibrary.TryLoad(name, out var library)) continue;
            try
            {
                return new TurboJpeg(library);
            }
            catch (EntryPointNotFoundException)
            {
                NativeLibrary.Free(library);
            }
        }
        return null;
    }

    /// <summary>
    /// Decodes <paramref name="jpeg"/> (the file as sent) into width x height RGBA; false, with the target's content
    /// undefined, where this decoder leaves the file to Skia: not YCbCr or greyscale, another size than expected, or any
    /// libjpeg error or warning.
    /// </summary>
    public bool TryDecode(ReadOnlySpan<byte> jpeg, int width, int height, Span<byte> rgba)
    {
        if (rgba.Length < (long)width * height * 4) throw new ArgumentException("The target is smaller than the image.", nameof(rgba));
        var handle = _initDecompress();
        if (handle == 0) return false;
        try
        {
            fixed (byte* source = jpeg)
            fixed (byte* target = rgba)
            {
                int w, h, subsampling, colourspace;
                var size = new CULong((nuint)jpeg.Length);
                if (_decompressHeader3(handle, source, size, &w, &h, &subsampling, &colourspace) != 0) return false;
                if (w != width || h != height || colourspace is not (ColourspaceYCbCr or ColourspaceGray)) return false;
                return _decompress2(handle, source, size, target, width, width * 4, height, PixelFormatRgba,
                    FlagAccurateDct | FlagStopOnWarning) == 0;
            }
        }
        finally
        {
            _destroy(handle);
        }
    }
}
