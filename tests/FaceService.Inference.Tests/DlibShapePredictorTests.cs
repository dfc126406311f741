using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using FaceService.Core.Faces;
using FaceService.Core.Imaging;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using FaceService.Inference.Imaging;
using FaceService.Inference.Landmarks;
using FaceService.Inference.Recognition;

namespace FaceService.Inference.Tests;

/// <summary>
/// One row of Fixtures/dlib_landmarks.tsv (tests/parity/dlib/generate-fixtures.sh): what dlib 19.24's shape_predictor
/// gave for a dev photo decoded by our decoder (its RGB bytes' sha256) and a rectangle, found by dlib's HOG detector
/// ("hog") or hanging over a corner of the photo ("edge").
/// </summary>
internal sealed record DlibLandmarksFixture(string Path, string RgbSha256, DlibRectangle Rect, string Kind, Point2[] Points)
{
    public static readonly IReadOnlyList<DlibLandmarksFixture> All = File.ReadLines(
            System.IO.Path.Combine(RepoPaths.Root, "tests", "FaceService.Inference.Tests", "Fixtures", "dlib_landmarks.tsv"))
        .Skip(1).Select(line => line.Split('\t')).Select(f =>
        {
            int At(int i) => int.Parse(f[i], CultureInfo.InvariantCulture);
            var points = Enumerable.Range(0, FaceLandmarks.Count).Select(k => new Point2(At(9 + 2 * k), At(10 + 2 * k))).ToArray();
            return new DlibLandmarksFixture(f[0], f[3], new DlibRectangle(At(4), At(5), At(6), At(7)), f[8], points);
        }).ToList();

    /// <summary>The photo as our decoder gives it; fails when its pixels are not the ones dlib was given.</summary>
    public RgbaImage Decode(SkiaImageDecoder decoder)
    {
        var image = decoder.Decode(DevPhotos.Read(Path));
        var rgb = new byte[image.Width * image.Height * 3];
        for (int i = 0, p = 0; i < rgb.Length; i += 3, p += 4) (rgb[i], rgb[i + 1], rgb[i + 2]) = (image.Pixels[p], image.Pixels[p + 1], image.Pixels[p + 2]);
        Assert.True(Convert.ToHexStringLower(SHA256.HashData(rgb)) == RgbSha256,
            $"{Path} decodes to other pixels than the fixture was made from (another libjpeg-turbo?): regenerate it with tests/parity/dlib/generate-fixtures.sh.");
        return image;
    }
}

/// <summary>The shape predictor, loaded once (66 MB) for the tests that need it.</summary>
public sealed class DlibShapePredictorFixture
{
    public DlibShapePredictor Predictor { get; } = DlibShapePredictor.Open(RepoPaths.ModelsDir);
}

public sealed class DlibShapePredictorTests(DlibShapePredictorFixture fixture, ITestOutputHelper output) : IClassFixture<DlibShapePredictorFixture>
{
    private readonly SkiaImageDecoder _decoder = new SkiaImageDecoder(new InferenceOptions().MaxImagePixels);

    [Fact]
    public void Gives_dlibs_landmarks_exactly_on_the_dev_photos()
    {
        var rows = DlibLandmarksFixture.All;
        Assert.True(rows.Count(r => r.Kind == "hog") >= 30 && rows.Count(r => r.Kind == "edge") >= 20, "the fixture lost rows");
        var mismatches = new List<string>();
        foreach (var photo in rows.GroupBy(r => r.Path))
        {
            var image = photo.First().Decode(_decoder);
            foreach (var row in photo)
            {
                var points = fixture.Predictor.Predict(image, row.Rect);
                var differing = Enumerable.Range(0, points.Length).Where(k => points[k] != row.Points[k]).ToList();
                if (differing.Count > 0)
                    mismatches.Add($"{row.Path} {row.Rect} ({row.Kind}): points {string.Join(", ", differing.Select(k => $"{k} {points[k]} ≠ {row.Points[k]}"))}");
            }
        }
        output.WriteLine($"{rows.Count} rectangles on {rows.Select(r => r.Path).Distinct().Count()} photos, {rows.Count * FaceLandmarks.Count} points compared; {mismatches.Count} rectangles differ");
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }

    [Fact]
    public void Predicting_allocates_nothing_per_tree_and_takes_about_a_millisecond()
    {
        // Every HOG face of the fixture in turn, so that each prediction walks other leaves than the last.
        var faces = DlibLandmarksFixture.All.Where(r => r.Kind == "hog").GroupBy(r => r.Path)
            .SelectMany(photo => { var image = photo.First().Decode(_decoder); return photo.Select(r => (Image: image, r.Rect)); }).ToArray();
        foreach (var (image, rect) in faces) fixture.Predictor.Predict(image, rect);

        const int batches = 50, runs = 20;
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var batchMs = new double[batches];
        for (var b = 0; b < batches; b++)
        {
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < runs; i++) fixture.Predictor.Predict(faces[(b * runs + i) % faces.Length].Image, faces[(b * runs + i) % faces.Length].Rect);
            batchMs[b] = watch.Elapsed.TotalMilliseconds / runs;
        }
        var bytesPerFace = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (batches * runs);
        // On a loaded machine the wall time also counts the waits for a core: the fastest batch tells more about the code.
        Array.Sort(batchMs);
        var ms = batchMs[batches / 2];
        output.WriteLine($"per face: {batchMs[0]:F3} ms in the fastest batch of {runs}, median {ms:F3} ms; " +
                         $"{bytesPerFace} bytes allocated ({batches * runs} runs over {faces.Length} faces; load average {File.ReadAllText("/proc/loadavg")[..14]})");

        // 7,500 trees: anything allocated per tree would be kilobytes. The points array is all that is allocated.
        Assert.InRange(bytesPerFace, 0, 1024);
        // Generous for a shared, loaded 2-core machine; about 1 ms when the machine is idle.
        Assert.InRange(ms, 0, 20);
    }

    [Fact]
    public void The_model_file_reads_back_what_was_written()
    {
        var path = Path.Combine(RepoPaths.ModelsDir, DlibShapePredictor.ModelFile);
        var model = DlibShapePredictorModel.Load(path);
        Assert.Equal((68, 15, 500, 4, 500), (model.Parts, model.Cascades, model.TreesPerCascade, model.TreeDepth, model.FeaturesPerCascade));

        using var written = new MemoryStream();
        model.Write(written);
        Assert.Equal(new FileInfo(path).Length, written.Length);
        Assert.True(written.ToArray().AsSpan().SequenceEqual(File.ReadAllBytes(path)), "writing the loaded model does not give the file's bytes");

        written.SetLength(written.Length - 4);
        written.Position = 0;
        Assert.Throws<EndOfStreamException>(() => DlibShapePredictorModel.Read(written));
        written.Position = 0;
        written.WriteByte((byte)'X');
        written.Position = 0;
        Assert.Throws<InvalidDataException>(() => DlibShapePredictorModel.Read(written));
    }

    [Fact]
    public void A_box_is_mapped_to_a_square_of_whole_pixels_around_the_shifted_centre()
    {
        // Side √(80·125) = 100: centre (100 − 1.64, 112.5 + 3.64) = (98.36, 116.14), half side 48.79; continuous
        // edges 49.57 .. 147.15 and 67.35 .. 164.93, each rounded, right and bottom one pixel in (inclusive).
        var rect = DlibBoxMapping.FromDetectorBox(new FaceBox(60, 50, 80, 125));

        Assert.Equal(new DlibRectangle(50, 67, 146, 164), rect);
    }

    [Fact]
    public void Landmarks_place_the_box_where_the_mean_shape_fits_them()
    {
        // The predictor's mean shape drawn into the square (100, 50) + 80: the fit finds that square again.
        var meanShape = fixture.Predictor.Model.InitialShape;
        var points = Enumerable.Range(0, FaceLandmarks.Count).Select(k => new Point2(100 + 80 * meanShape[2 * k], 50 + 80 * meanShape[2 * k + 1])).ToArray();

        var fit = DlibBoxMapping.FitMeanShape(points, meanShape);
        var rect = DlibBoxMapping.FromLandmarks(points, meanShape);

        Assert.Equal(100, fit.Left, 3);
        Assert.Equal(50, fit.Top, 3);
        Assert.Equal(80, fit.Side, 3);
        // Centre (140 − 0.0315·80, 90 + 0.0249·80) = (137.48, 91.99), half of 1.0494·80 = 41.98: edges 95.50, 50.02, 179.46, 133.97.
        Assert.Equal(new DlibRectangle(96, 50, 179, 134), rect);
    }
}

/// <summary>Boxes placed from the service's detector box and from face-api's landmarks, against the boxes dlib's HOG detector found on the same dev photos.</summary>
[Collection(ModelsCollection.Name)]
public sealed class DlibBoxMappingTests(ModelsFixture models, DlibShapePredictorFixture dlib, ITestOutputHelper output) : IClassFixture<DlibShapePredictorFixture>
{
    [Fact]
    public void Mapped_boxes_overlap_dlibs_HOG_boxes()
    {
        var fromBox = new List<double>();
        var fromLandmarks = new List<double>();
        foreach (var photo in DlibLandmarksFixture.All.Where(r => r.Kind == "hog").GroupBy(r => r.Path))
        {
            var image = photo.First().Decode(models.Decoder);
            var faces = models.Detector.Detect(image);
            var landmarks = models.Landmarker.Detect(image, faces.Select(f => f.Box).ToArray());
            foreach (var hog in photo.Where(_ => faces.Count > 0))
            {
                var best = Enumerable.Range(0, faces.Count).MaxBy(i => Iou(DlibBoxMapping.FromDetectorBox(faces[i].Box), hog.Rect));
                if (Iou(DlibBoxMapping.FromDetectorBox(faces[best].Box), hog.Rect) < 0.3) continue;
                fromBox.Add(Iou(DlibBoxMapping.FromDetectorBox(faces[best].Box), hog.Rect));
                fromLandmarks.Add(Iou(DlibBoxMapping.FromLandmarks(landmarks[best].Points, dlib.Predictor.Model.InitialShape), hog.Rect));
            }
        }
        output.WriteLine($"{fromBox.Count} HOG boxes with a detector face; IoU with them: from the detector box mean {fromBox.Average():F3} (min {fromBox.Min():F3}), " +
                         $"from face-api's landmarks mean {fromLandmarks.Average():F3} (min {fromLandmarks.Min():F3})");
        Assert.True(fromBox.Count >= 30, $"only {fromBox.Count} HOG boxes matched a detector face");
        Assert.True(fromBox.Average() >= 0.7, $"from the detector box: mean IoU {fromBox.Average():F3}");
        Assert.True(fromLandmarks.Average() >= 0.75, $"from the landmarks: mean IoU {fromLandmarks.Average():F3}");
    }

    private static double Iou(DlibRectangle a, DlibRectangle b)
    {
        double w = Math.Max(0, Math.Min(a.Right, b.Right) - Math.Max(a.Left, b.Left) + 1);
        double h = Math.Max(0, Math.Min(a.Bottom, b.Bottom) - Math.Max(a.Top, b.Top) + 1);
        return w * h / ((double)a.Width * a.Height + (double)b.Width * b.Height - w * h);
    }
}

/// <summary>Inference:Landmarker picks the landmark source at start-up, and the model id follows it.</summary>
public sealed class LandmarkerOptionTests
{
    [Theory]
    [InlineData("Dlib68", "-dlibsp")]
    [InlineData("Dlib68FromBox", "-dlibsp-box")]
    public async Task Dlib68_runs_the_pipeline_on_the_shape_predictor_under_its_own_model_id(string landmarker, string idSuffix)
    {
        await using var services = ModelsFixture.BuildServices(new Dictionary<string, string?> { ["Inference:Landmarker"] = landmarker });
        await using var faceApi = ModelsFixture.BuildServices(new Dictionary<string, string?> { ["Inference:Landmarker"] = "FaceApi68" });
        var pipeline = services.GetRequiredService<IFacePipeline>();
        var recognition = services.GetRequiredService<RecognitionNet>();
        var net = recognition.Precision == RecognitionPrecision.Int8 ? "dlib-resnet-v1-int8" : "dlib-resnet-v1";

        Assert.IsType<DlibShapePredictor>(services.GetRequiredService<IFaceLandmarker>());
        Assert.Equal($"{net}+facechip150{idSuffix}+mirror@{recognition.WeightsSha256[..12]}", pipeline.ModelId);
        Assert.NotEqual(faceApi.GetRequiredService<IFacePipeline>().ModelId, pipeline.ModelId);

        // Same photo, both landmark sources: the same person, so the two chips embed close together.
        var photo = DevPhotos.Read("Barack_Obama/Barack_Obama_0001.jpg");
        var dlib = (await pipeline.AnalyzeAsync(photo, FaceSelection.Primary)).Faces.Single();
        var faceApiFace = (await faceApi.GetRequiredService<IFacePipeline>().AnalyzeAsync(photo, FaceSelection.Primary)).Faces.Single();
        var distance = Core.Embeddings.EmbeddingMath.SquaredDistance(dlib.Embedding, faceApiFace.Embedding);
        Assert.True(distance < 0.05, $"squared distance {distance:F4} between the two chips' embeddings");
    }

    [Theory]
    [InlineData("7")]
    [InlineData("Dlib5")]
    public async Task An_unknown_landmarker_fails_start_up(string value)
    {
        await using var services = ModelsFixture.BuildServices(new Dictionary<string, string?> { ["Inference:Landmarker"] = value });
        var error = Assert.ThrowsAny<Exception>(() => services.GetRequiredService<InferenceOptions>());
        Assert.Contains("Landmarker", error.ToString());
    }
}
