namespace FaceService.Core.Imaging;

/// <summary>Why an upload could not be turned into pixels; each maps to a stable API error code.</summary>
public enum ImageDecodeError
{
    /// <summary>Empty, not an image, or truncated/corrupt data.</summary>
    InvalidImage,
    /// <summary>A real image in a format we do not decode.</summary>
    UnsupportedFormat,
    /// <summary>Declared pixel count above the configured limit (checked before pixels are decoded).</summary>
    ImageTooLarge,
}

public sealed class ImageDecodeException(ImageDecodeError error, string message) : Exception(message)
{
    public ImageDecodeError Error { get; } = error;
}
