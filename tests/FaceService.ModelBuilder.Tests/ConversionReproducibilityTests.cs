using System.Security.Cryptography;
using System.Text.Json;
using FaceService.ModelBuilder.Conversion;
using FaceService.ModelBuilder.Networks;

namespace FaceService.ModelBuilder.Tests;

/// <summary>The conversion is deterministic: converting the cached package again gives the bytes recorded in models/manifest.json.</summary>
public sealed class ConversionReproducibilityTests : IDisposable
{
    private readonly string _outDir = Directory.CreateTempSubdirectory("modelbuilder-").FullName;

    [Fact]
    public void Converting_again_reproduces_the_built_models_and_their_manifest_entries()
    {
        using JsonDocument manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.ModelsDir, "manifest.json")));
        Dictionary<string, string?> integrities = manifest.RootElement.GetProperty("packages").EnumerateArray()
            .ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("integrity").GetString());
        Assert.Equal(
            "sha512-WDMmK3CfNLo8jylWqMoQgf4nIst3M0fzx1dnac96wv/dvMTN4DxC/Pq1DGtduDk1lktCamQ3MIDXFnvrdHTXDw==",
            integrities[SourcePackages.FaceApi.Name]);
        Assert.Equal(
            "sha512-mD6e2dxSn53CH7bfxWEOoSpRYM/XLscKbg/qc/rugg5wJsyrLsjxsmpJMNzQCLTcBqhEeZ8whuG5s58ZcM05Xw==",
            integrities[SourcePackages.ExpoFaceDetection.Name]);
        Dictionary<string, JsonElement> entries = manifest.RootElement.GetProperty("models").EnumerateArray()
            .ToDictionary(m => m.GetProperty("file").GetString()!);

        NetworkRecipe int8 = FaceRecognitionRecipe.Int8(
            QuantizationRanges.Load(Path.Combine(RepoPaths.ModelsDir, FaceRecognitionRecipe.Int8RangesFile)));
        foreach (NetworkRecipe recipe in ConvertCommand.Recipes.Append(int8))
        {
            // Where models/build.sh unpacks each package.
            string packageDir = Path.Combine(RepoPaths.ModelsDir, ".cache",
                recipe.Package == SourcePackages.FaceApi ? "package" : recipe.Package.Key);
            if (!Directory.Exists(packageDir))
            {
                Assert.Fail($"{packageDir} is missing: run models/build.sh first.");
            }

            ConvertedModel converted = ConvertCommand.Convert(recipe, packageDir, _outDir);

            JsonElement entry = entries[recipe.OutputFile];
            Assert.Equal(entry.GetProperty("sha256").GetString(), converted.Sha256);
            Assert.Equal(17, entry.GetProperty("onnxOpset").GetInt32());
            Assert.Equal(recipe.Package.Id, entry.GetProperty("source").GetString());
            string onDisk = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(RepoPaths.ModelsDir, recipe.OutputFile))));
            Assert.Equal(converted.Sha256, onDisk);
        }
    }

    public void Dispose() => Directory.Delete(_outDir, recursive: true);
}
