namespace FaceService.Core.Imaging;

public interface IImageDecoder
{
    /// <summary>Decodes JPEG/PNG/WebP/BMP/GIF (first frame), applies EXIF orientation.</summary>
    /// <exception cref="ImageDecodeException">Not an image, truncated, or over the pixel limit.</exception>
    RgbaImage Decode(ReadOnlySpan<byte> encoded);
}
