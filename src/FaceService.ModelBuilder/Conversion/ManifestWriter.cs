using System.Text.Encodings.Web;
using System.Text.Json;
using FaceService.ModelBuilder.Dlib;
using FaceService.ModelBuilder.Networks;
using FaceService.ModelBuilder.Onnx;
using FaceService.Inference.Landmarks;

namespace FaceService.ModelBuilder.Conversion;

/// <summary>Writes models/manifest.json: provenance and the input/output contract of every converted model and of the shape predictor.</summary>
public static class ManifestWriter
{
    public const string FileName = "manifest.json";

    public static void Write(string path, IReadOnlyList<ConvertedPackage> packages, IReadOnlyList<ConvertedModel> models,
        ConvertedShapePredictor shapePredictor, string? dlibDataDebSha256)
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

            WriteShapePredictor(json, shapePredictor, dlibDataDebSha256);

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
        if (recipe is FaceRecognitionRecipe { Int8Ranges: { } ranges })
        {
            json.WriteString("quantizationRanges", FaceRecognitionRecipe.Int8RangesFile);
            json.WriteString("quantizationRangesSha256", ranges.FileSha256);
        }
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

    private static void WriteShapePredictor(Utf8JsonWriter json, ConvertedShapePredictor predictor, string? debSha256)
    {
        DlibShapePredictorModel model = predictor.Model;
        json.WriteStartObject();
        json.WriteString("name", "dlib_shape_predictor_68");
        json.WriteString("file", DlibShapePredictor.ModelFile);
        json.WriteString("sha256", predictor.Sha256);
        json.WriteNumber("bytes", predictor.Bytes);
        json.WriteString("converterVersion", ConverterInfo.ShapePredictorVersion);
        json.WriteString("source", ShapePredictorConversion.SourceId);
        json.WriteString("debSha256", debSha256);
        json.WriteString("sourceFile", ShapePredictorConversion.DatPath);
        json.WriteString("sourceSha256", predictor.SourceSha256);
        json.WriteString("origin", ShapePredictorConversion.Origin);
        json.WriteString("licence", ShapePredictorConversion.Licence);
        json.WriteString("trainingData", ShapePredictorConversion.TrainingDataTerms);
        json.WriteString("format", "FSDLIBSP version 1: dlib's float32 values in flat little-endian arrays (models/README.md, DlibShapePredictorModel)");
        json.WriteNumber("parts", model.Parts);
        json.WriteNumber("cascades", model.Cascades);
        json.WriteNumber("treesPerCascade", model.TreesPerCascade);
        json.WriteNumber("treeDepth", model.TreeDepth);
        json.WriteNumber("featurePixelsPerCascade", model.FeaturesPerCascade);
        json.WriteString("input", "an RGB image and a box as dlib's HOG face detector gives it (DlibBoxMapping maps the service's detector box to one)");
        json.WriteString("output", "68 landmarks (iBUG order) in image pixels, rounded to whole pixels as dlib's full_object_detection stores them");
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
