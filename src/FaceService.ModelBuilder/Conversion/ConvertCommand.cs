using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using FaceService.Inference;
using FaceService.ModelBuilder.Dlib;
using FaceService.ModelBuilder.Networks;
using FaceService.ModelBuilder.Onnx;
using FaceService.ModelBuilder.Tfjs;

namespace FaceService.ModelBuilder.Conversion;

/// <summary>
/// convert: tfjs weights of the face-api npm package to ONNX files, dlib's 68-point shape predictor from Debian's
/// libdlib-data to its compact file, plus models/manifest.json.
/// </summary>
public static class ConvertCommand
{
    public static readonly Command Command = new(
        "convert",
        "convert --package-dir <unpacked @vladmandic/face-api package> --dlib-data-dir <unpacked libdlib-data .deb> --out <folder> " +
        "[--package-integrity <sha512-...>] [--dlib-data-deb-sha256 <hex>]",
        Run);

    public static IReadOnlyList<NetworkRecipe> Recipes { get; } =
    [
        new FaceRecognitionRecipe(),
        new SsdMobilenetV1Recipe(),
        new FaceLandmark68Recipe(),
    ];

    private static int Run(CommandArguments args)
    {
        string packageDir = Path.GetFullPath(args.Required("package-dir"));
        string dlibDataDir = Path.GetFullPath(args.Required("dlib-data-dir"));
        string outDir = Path.GetFullPath(args.Required("out"));
        string? integrity = args.Optional("package-integrity");
        string? debSha256 = args.Optional("dlib-data-deb-sha256");
        args.RejectUnknown();

        RequireExpectedPackage(packageDir);
        Directory.CreateDirectory(outDir);
        string manifestPath = Path.Combine(outDir, ManifestWriter.FileName);
        // The manifest marks a complete conversion, so it goes first and comes back last.
        File.Delete(manifestPath);

        var converted = new List<ConvertedModel>();
        foreach (NetworkRecipe recipe in Recipes)
        {
            var stopwatch = Stopwatch.StartNew();
            ConvertedModel model = Convert(recipe, packageDir, outDir);
            converted.Add(model);
            Console.WriteLine(
                $"{model.Recipe.OutputFile}: {model.Bytes:N0} bytes, sha256 {model.Sha256}, {stopwatch.ElapsedMilliseconds} ms");
        }

        ConvertedShapePredictor predictor = ShapePredictorConversion.Convert(dlibDataDir, outDir);
        Console.WriteLine(
            $"{DlibShapePredictor.ModelFile}: {predictor.Bytes:N0} bytes, sha256 {predictor.Sha256}; reading the {predictor.SourceSha256[..12]}… .dat " +
            $"took {predictor.ReadDatMilliseconds} ms, loading the converted file {predictor.LoadOutputMilliseconds} ms");

        ManifestWriter.Write(manifestPath, integrity, converted, predictor, debSha256);
        Console.WriteLine($"{manifestPath} written.");
        return 0;
    }

    public static ConvertedModel Convert(NetworkRecipe recipe, string packageDir, string outDir)
    {
        var weights = TfjsWeightMap.Load(Path.Combine(packageDir, "model", recipe.SourceManifest));
        var graph = new GraphBuilder(recipe.Name);
        recipe.Build(weights, graph);
        IReadOnlyList<string> unused = weights.Unused();
        if (unused.Count > 0)
        {
            Console.WriteLine($"{recipe.Name}: not used by the network: {string.Join(", ", unused)}");
        }

        OnnxModel model = graph.ToModel(
            ConverterInfo.Name,
            ConverterInfo.Version,
            $"{recipe.Name}, converted from {SourceId} model/{recipe.SourceManifest}",
            [
                new("source", SourceId),
                new("source_manifest", "model/" + recipe.SourceManifest),
                new("origin", recipe.Origin),
                new("input_normalisation", recipe.Input.Normalisation),
            ]);
        byte[] bytes = model.ToByteArray();

        string path = Path.Combine(outDir, recipe.OutputFile);
        string temporary = path + ".tmp";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, path, overwrite: true);
        return new ConvertedModel(recipe, bytes.LongLength, System.Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    public static string SourceId => $"{ConverterInfo.PackageName}@{ConverterInfo.PackageVersion}";

    private static void RequireExpectedPackage(string packageDir)
    {
        string packageJson = Path.Combine(packageDir, "package.json");
        if (!File.Exists(packageJson))
        {
            throw new UsageException($"{packageJson} not found; --package-dir must be the unpacked npm package.");
        }

        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(packageJson));
        string? name = document.RootElement.GetProperty("name").GetString();
        string? version = document.RootElement.GetProperty("version").GetString();
        if (name != ConverterInfo.PackageName || version != ConverterInfo.PackageVersion)
        {
            throw new UsageException($"{packageDir} holds {name}@{version}; this converter is written for {SourceId}.");
        }
    }
}

public sealed record ConvertedModel(NetworkRecipe Recipe, long Bytes, string Sha256);
