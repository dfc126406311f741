using FaceService.CommandLine;
using System.Globalization;
using FaceService.Core.Faces;
using FaceService.Evaluation;
using Microsoft.Extensions.DependencyInjection;
using FaceService.Inference.Detection;
using FaceService.Inference.Imaging;
using FaceService.Inference.Landmarks;
using FaceService.Inference.Runtime;

namespace FaceService.Bench;

/// <summary>
/// `dlib-box-fit`: fits <see cref="DlibBoxMapping"/>, the maps to the box dlib's HOG face detector gives for a face (the
/// boxes dlib's 68-point shape predictor was trained on) from the service's detector box and from face-api's landmarks.
/// Runs the service's detector and face-api's landmark net over lfw-dev, pairs each face with the HOG box of highest
/// IoU (≥ 0.3) that `tests/parity/dlib/bin/dlib_reference hog` found in the same photo, and prints the medians of the
/// centre offsets and of the side ratios (fractions of the detector box's side, or of the side of the mean-shape fit to
/// the landmarks), with how well the fitted maps and the maps now in the code reproduce the HOG boxes. Medians rather
/// than least squares: lfw-dev's faces are all about the same size, so a regression of the HOG side on the detector's
/// would mostly fit the noise of the HOG detector's 6/5 scale steps.
/// Options: --hog &lt;TSV written by dlib_reference hog&gt; (required), --lfw-dev &lt;folder&gt;, and the inference settings.
/// </summary>
public static class DlibBoxFit
{
    public static int Run(ToolArguments args)
    {
        var lfw = args.Get("lfw-dev", "") is { Length: > 0 } l ? LabelledPhotoSet.Load(l) : LabelledPhotoSet.LoadShared("lfw-dev");
        var hogFile = args.Get("hog", "") is { Length: > 0 } h ? h : throw new ArgumentException("--hog <dlib_reference hog output> is required.");
        var hogBoxes = File.ReadLines(hogFile).Skip(1).Select(line => line.Split('\t'))
            .ToLookup(f => f[0], f => new DlibRectangle(Int(f[4]), Int(f[5]), Int(f[6]), Int(f[7])));

        using var services = InferenceHost.Build(args);
        var decoder = services.GetRequiredService<SkiaImageDecoder>();
        var detector = services.GetRequiredService<IFaceDetector>();
        using var faceApi = new Landmark68Net(services.GetRequiredService<OnnxSessionFactory>());
        var meanShape = DlibShapePredictorModel.Load(Path.Combine(services.GetRequiredService<OnnxSessionFactory>().ModelsDirectory, DlibShapePredictor.ModelFile)).InitialShape;
        var detections = new (IReadOnlyList<DetectedFace> Faces, IReadOnlyList<FaceLandmarks> Landmarks)[lfw.Photos.Count];
        Parallel.For(0, lfw.Photos.Count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
        {
            var image = decoder.Decode(lfw.Read(lfw.Photos[i]));
            var faces = detector.Detect(image);
            detections[i] = (faces, faceApi.Detect(image, faces.Select(f => f.Box).ToArray()));
        });

        var pairs = new List<(FaceBox Detector, (double Left, double Top, double Side) Fit, DlibRectangle Hog)>();
        for (var i = 0; i < lfw.Photos.Count; i++)
        for (var f = 0; f < detections[i].Faces.Count; f++)
        {
            var box = detections[i].Faces[f].Box;
            var best = hogBoxes[lfw.Photos[i].Path].Select(r => (Rect: r, Iou: Iou(box, AsBox(r)))).DefaultIfEmpty().MaxBy(c => c.Iou);
            if (best.Iou >= 0.3) pairs.Add((box, DlibBoxMapping.FitMeanShape(detections[i].Landmarks[f].Points, meanShape), best.Rect));
        }
        Console.WriteLine($"lfw-dev: {lfw.Photos.Count} photos, {detections.Sum(d => d.Faces.Count)} detector faces, " +
                          $"{hogBoxes.Sum(g => g.Count())} HOG boxes in {hogBoxes.Count} photos, {pairs.Count} pairs at IoU ≥ 0.3");

        var offsetX = Median(pairs.Select(p => (Centre(p.Hog.Left, p.Hog.Right) - (p.Detector.X + p.Detector.Width / 2)) / DlibBoxMapping.Side(p.Detector)));
        var offsetY = Median(pairs.Select(p => (Centre(p.Hog.Top, p.Hog.Bottom) - (p.Detector.Y + p.Detector.Height / 2)) / DlibBoxMapping.Side(p.Detector)));
        var scale = Median(pairs.Select(p => Side(p.Hog) / DlibBoxMapping.Side(p.Detector)));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fitted, as fractions of the detector box's side √(width·height): CentreOffsetX = {offsetX:F4}, CentreOffsetY = {offsetY:F4}, SideScale = {scale:F4}"));
        Report("from the detector box, fitted map", pairs, p => DlibBoxMapping.Map(p.Detector, offsetX, offsetY, scale));
        Report("from the detector box, map in DlibBoxMapping", pairs, p => DlibBoxMapping.FromDetectorBox(p.Detector));

        var fitOffsetX = Median(pairs.Select(p => ((p.Hog.Left + p.Hog.Right) / 2.0 - (p.Fit.Left + p.Fit.Side / 2)) / p.Fit.Side));
        var fitOffsetY = Median(pairs.Select(p => ((p.Hog.Top + p.Hog.Bottom) / 2.0 - (p.Fit.Top + p.Fit.Side / 2)) / p.Fit.Side));
        var fitScale = Median(pairs.Select(p => (p.Hog.Right - p.Hog.Left) / p.Fit.Side));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fitted, as fractions of the side of the mean shape's fit to face-api's landmarks: LandmarkCentreOffsetX = {fitOffsetX:F4}, " +
            $"LandmarkCentreOffsetY = {fitOffsetY:F4}, LandmarkSideScale = {fitScale:F4}"));
        Report("from face-api's landmarks, fitted map", pairs, p => DlibBoxMapping.FromFit(p.Fit, fitOffsetX, fitOffsetY, fitScale));
        Report("from face-api's landmarks, map in DlibBoxMapping", pairs,
            p => DlibBoxMapping.FromFit(p.Fit, DlibBoxMapping.LandmarkCentreOffsetX, DlibBoxMapping.LandmarkCentreOffsetY, DlibBoxMapping.LandmarkSideScale));
        return 0;
    }

    private static void Report(string name, List<(FaceBox Detector, (double Left, double Top, double Side) Fit, DlibRectangle Hog)> pairs,
        Func<(FaceBox Detector, (double Left, double Top, double Side) Fit, DlibRectangle Hog), DlibRectangle> map)
    {
        var mapped = pairs.Select(p => (Rect: map(p), p.Hog)).ToList();
        var ious = mapped.Select(m => Iou(AsBox(m.Rect), AsBox(m.Hog))).OrderBy(x => x).ToArray();
        var edgeErrors = mapped.Select(m =>
            (Math.Abs(m.Rect.Left - m.Hog.Left) + Math.Abs(m.Rect.Top - m.Hog.Top) + Math.Abs(m.Rect.Right - m.Hog.Right) + Math.Abs(m.Rect.Bottom - m.Hog.Bottom))
            / 4.0 / Side(m.Hog)).OrderBy(x => x).ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: IoU with the HOG box mean {ious.Average():F3}, 5th percentile {ious[ious.Length / 20]:F3}; " +
            $"mean edge error {edgeErrors.Average():P1} of the HOG side (median {edgeErrors[edgeErrors.Length / 2]:P1}, 95th percentile {edgeErrors[edgeErrors.Length * 19 / 20]:P1})"));
    }

    private static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);

    private static double Centre(int first, int last) => (first + last) / 2.0 + 0.5;

    private static double Side(DlibRectangle r) => (r.Width + r.Height) / 2.0;

    /// <summary>The pixels a dlib rectangle covers, as a box with exclusive right and bottom edges.</summary>
    private static FaceBox AsBox(DlibRectangle r) => new(r.Left, r.Top, r.Width, r.Height);

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static double Iou(FaceBox a, FaceBox b)
    {
        var intersection = Math.Max(0, Math.Min(a.Right, b.Right) - Math.Max(a.X, b.X)) * Math.Max(0, Math.Min(a.Bottom, b.Bottom) - Math.Max(a.Y, b.Y));
        return intersection / (a.Area + b.Area - intersection);
    }
}
