using System.Text.Encodings.Web;
using System.Text.Json;
using FaceService.ModelBuilder.Networks;
using FaceService.ModelBuilder.Onnx;

namespace FaceService.ModelBuilder.Conversion;

/// <summary>Writes models/manifest.json: provenance and the input/output contract of every converted model.</summary>
public static class ManifestWriter
{
    public const string FileName = "manifest.json";

    public static void Write(string path, IReadOnlyList<ConvertedPackage> packages, IReadOnlyList<ConvertedModel> models)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions
        {
            Indented = true,
            // Keep apostrophes and accented names readable; the file is never embedded in HTML.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            json.WriteStartObject();
            json.WriteStartObject("converter");
            json.WriteString("name", ConverterInfo.Name);
            json.WriteString("version", ConverterInfo.Version);
            json.WriteEndObject();

            json.WriteStartArray("packages");
            foreach (ConvertedPackage package in packages)
            {
                json.WriteStartObject();
                json.WriteString("name", package.Package.Name);
                json.WriteString("version", package.Package.Version);
                json.WriteString("integrity", package.Integrity);
                json.WriteString("licence", package.Package.Licence);
                json.WriteEndObject();
            }

            json.WriteEndArray();

            json.WriteStartArray("models");
            foreach (ConvertedModel model in models)
            {
                WriteModel(json, model, packages.Single(p => p.Package == model.Recipe.Package).Integrity);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        stream.WriteByte((byte)'\n');
        File.WriteAllBytes(path, stream.ToArray());
    }

    private static void WriteModel(Utf8JsonWriter json, ConvertedModel model, string? packageIntegrity)
    {
        NetworkRecipe recipe = model.Recipe;
        json.WriteStartObject();
        json.WriteString("name", recipe.Name);
        json.WriteString("file", recipe.OutputFile);
        json.WriteString("sha256", model.Sha256);
        json.WriteNumber("bytes", model.Bytes);
        json.WriteString("source", recipe.Package.Id);
        json.WriteString("packageIntegrity", packageIntegrity);
        json.WriteString("sourceFile", recipe.SourceFile);
        json.WriteString("origin", recipe.Origin);
        json.WriteNumber("onnxOpset", GraphBuilder.OpsetVersion);
        json.WriteNumber("onnxIrVersion", GraphBuilder.IrVersion);

        json.WriteStartObject("input");
        json.WriteString("name", recipe.Input.Name);
        WriteShape(json, recipe.Input.Shape);
        json.WriteString("values", recipe.Input.Values);
        json.WriteString("normalisation", recipe.Input.Normalisation);
        json.WriteEndObject();

        json.WriteStartArray("outputs");
        foreach (ModelOutput output in recipe.Outputs)
        {
            json.WriteStartObject();
            json.WriteString("name", output.Name);
            WriteShape(json, output.Shape);
            json.WriteString("dtype", "float32");
            json.WriteString("meaning", output.Meaning);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteShape(Utf8JsonWriter json, IReadOnlyList<OnnxDim> shape)
    {
        json.WriteStartArray("shape");
        foreach (OnnxDim dim in shape)
        {
            if (dim.Value is long value)
            {
                json.WriteNumberValue(value);
            }
            else
            {
                json.WriteStringValue(dim.Symbol);
            }
        }

        json.WriteEndArray();
    }
}
