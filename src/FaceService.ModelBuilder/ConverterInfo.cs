namespace FaceService.ModelBuilder;

public static class ConverterInfo
{
    public const string Name = "FaceService.ModelBuilder";

    // Bump whenever the produced ONNX files change; models/build.sh reads this line to decide whether to reconvert.
    // The version is written into every ONNX file, so a bump also changes face_recognition.onnx's sha256 and with it
    // the embedding model id: stored codes of every deployment would no longer match.
    public const string Version = "1.0.0";

    // Bump whenever the produced shape predictor file changes (models/build.sh reads this line too).
    public const string ShapePredictorVersion = "1.0.0";

    public const string PackageName = "@vladmandic/face-api";
    public const string PackageVersion = "1.7.15";

    /// <summary>The Debian package dlib's 68-point shape predictor comes from.</summary>
    public const string DlibDataPackage = "libdlib-data";
    public const string DlibDataVersion = "19.24+dfsg-1";
}
