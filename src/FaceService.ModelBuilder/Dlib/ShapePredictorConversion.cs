using FaceService.CommandLine;
using System.Diagnostics;
using System.Security.Cryptography;
using FaceService.Inference.Landmarks;

namespace FaceService.ModelBuilder.Dlib;

/// <summary>A converted shape predictor: the written file and what it came from.</summary>
public sealed record ConvertedShapePredictor(
    long Bytes, string Sha256, string SourceSha256, DlibShapePredictorModel Model, long ReadDatMilliseconds, long LoadOutputMilliseconds);

/// <summary>
/// dlib's shape_predictor_68_face_landmarks.dat, from the unpacked Debian package libdlib-data, to the compact file
/// <see cref="DlibShapePredictor"/> loads (<see cref="DlibShapePredictorModel"/>: the same float32 values, in flat arrays).
/// </summary>
public static class ShapePredictorConversion
{
    public const string DatPath = "usr/share/dlib/shape_predictor_68_face_landmarks.dat";
    public const string CopyrightPath = "usr/share/doc/libdlib-data/copyright";

    public static string SourceId => $"Debian {ConverterInfo.DlibDataPackage} {ConverterInfo.DlibDataVersion}";

    public const string Origin =
        "dlib's 68-point face landmark shape predictor (shape_predictor_68_face_landmarks.dat: an ensemble of regression trees, " +
        "Kazemi and Sullivan 2014) trained by Davis King on the iBUG 300-W dataset, for boxes from dlib's HOG face detector";

    public const string Licence =
        "CC0-1.0: Debian's copyright file for libdlib-data (19.24+dfsg-1) lists dlib-models/shape_predictor_68_face_landmarks.dat, " +
        "Copyright 2015-2018 Davis E King, License: Creative-Commons-0-1.0";

    public const string TrainingDataTerms =
        "Trained on iBUG 300-W (Sagonas et al., 2016), whose licence excludes commercial use; at the request of one of its " +
        "creators dlib's model README says the trained model therefore can't be used in a commercial product, and to ask a " +
        "lawyer or Imperial College London whether such use is allowed. The CC0 dedication covers the model file, not the dataset's terms.";

    public static ConvertedShapePredictor Convert(string dlibDataDir, string outDir)
    {
        RequireCc0(dlibDataDir);
        var watch = Stopwatch.StartNew();
        var dat = File.ReadAllBytes(Path.Combine(dlibDataDir, DatPath));
        var model = DlibShapePredictorReader.Read(dat);
        var readDat = watch.ElapsedMilliseconds;

        var path = Path.Combine(outDir, DlibShapePredictor.ModelFile);
        var temporary = path + ".tmp";
        using (var stream = File.Create(temporary)) model.Write(stream);
        File.Move(temporary, path, overwrite: true);

        watch.Restart();
        DlibShapePredictorModel.Load(path);
        var loadOutput = watch.ElapsedMilliseconds;
        var bytes = File.ReadAllBytes(path);
        return new ConvertedShapePredictor(bytes.LongLength, System.Convert.ToHexStringLower(SHA256.HashData(bytes)),
            System.Convert.ToHexStringLower(SHA256.HashData(dat)), model, readDat, loadOutput);
    }

    /// <summary>The licence recorded in the manifest is the one Debian's copyright file states for this file.</summary>
    private static void RequireCc0(string dlibDataDir)
    {
        var copyright = Path.Combine(dlibDataDir, CopyrightPath);
        if (!File.Exists(copyright))
            throw new UsageException($"{copyright} not found; --dlib-data-dir must be the unpacked {ConverterInfo.DlibDataPackage} package.");
        var stanza = File.ReadAllText(copyright).Split("\n\n").FirstOrDefault(s => s.StartsWith("Files: dlib-models/shape_predictor_68_face_landmarks.dat", StringComparison.Ordinal));
        if (stanza is null || !stanza.Contains("License: Creative-Commons-0-1.0", StringComparison.Ordinal))
            throw new UsageException($"{copyright} does not license shape_predictor_68_face_landmarks.dat as Creative-Commons-0-1.0; check the package before converting it.");
    }
}
