using FaceService.CommandLine;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using FaceService.ModelBuilder.Dlib;
using FaceService.ModelBuilder.Networks;
using FaceService.ModelBuilder.Onnx;
using FaceService.Inference.Landmarks;

namespace FaceService.ModelBuilder.Conversion;

/// <summary>
/// convert: the trained networks of the source npm packages to ONNX files, dlib's 68-point shape predictor from Debian's
/// libdlib-data to its compact file, plus models/manifest.json.
/// </summary>
public static class ConvertCommand
{
    public static readonly Command Command = new(
        "convert",
        "convert --out <folder> " + string.Join(" ", SourcePackages.All.Select(p =>
            $"--{p.Key}-dir <unpacked {p.Id} package> [--{p.Key}-integrity <sha512-...>]")) +
        " --dlib-data-dir <unpacked libdlib-data .deb> [--dlib-data-deb-sha256 <hex>]" +
        " [--recognition-int8-ranges <models/" + FaceRecognitionRecipe.Int8RangesFile + ">]",
        Run);

    public static IReadOnlyList<NetworkRecipe> Recipes { get; } =
    [
        new FaceRecognitionRecipe(),
        new SsdMobilenetV1Recipe(),
        new FaceLandmark68Recipe(),
        new MtcnnPNetRecipe(),
        new MtcnnRNetRecipe(),
        new MtcnnONetRecipe(),
    ];

    private static int Run(ToolArguments args)
    {
        string outDir = Path.GetFullPath(args.Required("out"));
        var packages = SourcePackages.All.Select(p => new ConvertedPackage(
            p, Path.GetFullPath(args.Required($"{p.Key}-dir")), args.Get($"{p.Key}-integrity"))).ToArray();
        string dlibDataDir = Path.GetFullPath(args.Required("dlib-data-dir"));
        string? debSha256 = args.Get("dlib-data-deb-sha256");
        // The int8 recognition graph needs measured activation ranges; without them it is not built.
        string? int8Ranges = args.Get("recognition-int8-ranges");
        args.RejectUnread();
        IReadOnlyList<NetworkRecipe> recipes = int8Ranges is null
            ? Recipes
            : [.. Recipes, FaceRecognitionRecipe.Int8(QuantizationRanges.Load(Path.GetFullPath(int8Ranges)))];

        foreach (ConvertedPackage package in packages)
        {
            RequireExpectedPackage(package.Directory, package.Package);
        }

        Directory.CreateDirectory(outDir);
        string manifestPath = Path.Combine(outDir, ManifestWriter.FileName);
        // The manifest marks a complete conversion, so it goes first and comes back last.
        File.Delete(manifestPath);

        var converted = new List<ConvertedModel>();
        foreach (NetworkRecipe recipe in recipes)
        {
            var stopwatch = Stopwatch.StartNew();
            ConvertedModel model = Convert(recipe, packages.Single(p => p.Package == recipe.Package).Directory, outDir);
            converted.Add(model);
            Console.WriteLine(
                $"{model.Recipe.OutputFile}: {model.Bytes:N0} bytes, sha256 {model.Sha256}, {stopwatch.ElapsedMilliseconds} ms");
        }

        ConvertedShapePredictor predictor = ShapePredictorConversion.Convert(dlibDataDir, outDir);
        Console.WriteLine(
            $"{DlibShapePredictor.ModelFile}: {predictor.Bytes:N0} bytes, sha256 {predictor.Sha256}; reading the {predictor.SourceSha256[..12]}… .dat " +
            $"took {predictor.ReadDatMilliseconds} ms, loading the converted file {predictor.LoadOutputMilliseconds} ms");

        ManifestWriter.Write(manifestPath, packages, converted, predictor, debSha256);
        Console.WriteLine($"{manifestPath} written.");
        return 0;
    }

    public static ConvertedModel Convert(NetworkRecipe recipe, string packageDir, string outDir)
    {
        var graph = new GraphBuilder(recipe.Name);
        recipe.Build(packageDir, graph);

        OnnxModel model = graph.ToModel(
            ConverterInfo.Name,
            ConverterInfo.Version,
            $"{recipe.Name}, converted from {recipe.Package.Id} {recipe.SourceFile}",
            [
                new("source", recipe.Package.Id),
                new(recipe.SourceFileMetadataKey, recipe.SourceFile),
                new("origin", recipe.Origin),
                new("input_normalisation", recipe.Input.Normalisation),
                .. recipe.ExtraMetadata,
            ]);
        byte[] bytes = model.ToByteArray();

        string path = Path.Combine(outDir, recipe.OutputFile);
        string temporary = path + ".tmp";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, path, overwrite: true);
        return new ConvertedModel(recipe, bytes.LongLength, System.Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    private static void RequireExpectedPackage(string packageDir, SourcePackage expected)
    {
        string packageJson = Path.Combine(packageDir, "package.json");
        if (!File.Exists(packageJson))
        {
            throw new UsageException($"{packageJson} not found; --{expected.Key}-dir must be the unpacked npm package.");
        }

        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(packageJson));
        string? name = document.RootElement.GetProperty("name").GetString();
        string? version = document.RootElement.GetProperty("version").GetString();
        if (name != expected.Name || version != expected.Version)
        {
            throw new UsageException($"{packageDir} holds {name}@{version}; this converter is written for {expected.Id}.");
        }
    }
}

public sealed record ConvertedModel(NetworkRecipe Recipe, long Bytes, string Sha256);

/// <summary>A source package as converted: where it was unpacked and the integrity it was verified against.</summary>
public sealed record ConvertedPackage(SourcePackage Package, string Directory, string? Integrity);
