namespace FaceService.ModelBuilder;

public static class ConverterInfo
{
    public const string Name = "FaceService.ModelBuilder";

    // Bump whenever the produced ONNX files change; models/build.sh reads this line to decide whether to reconvert.
    public const string Version = "1.0.0";

    public const string PackageName = "@vladmandic/face-api";
    public const string PackageVersion = "1.7.15";
}
