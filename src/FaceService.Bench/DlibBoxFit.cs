using System.Globalization;
using FaceService.Core.Faces;
using FaceService.Evaluation;
using FaceService.Inference;
using Microsoft.Extensions.DependencyInjection;

namespace FaceService.Bench;

/// <summary>
/// `dlib-box-fit`: fits <see cref="DlibBoxMapping"/>, the map from the service's detector box to the box dlib's HOG face
/// detector gives for the same face (the boxes dlib's 68-point shape predictor was trained on). Runs the service's
/// detector over lfw-dev, pairs each face with the HOG box of highest IoU (≥ 0.3) that
/// `tests/parity/dlib/bin/dlib_reference hog` found in the same photo, and prints the medians of the centre offset and
/// of the side ratio (fractions of the detector box's side), with how well the fitted map and the map now in the code
/// reproduce the HOG boxes. Medians rather than least squares: lfw-dev's faces are all about the same size, so a
/// regression of the HOG side on the detector's would mostly fit the noise of the HOG detector's 6/5 scale steps.
/// Options: --hog &lt;TSV written by dlib_reference hog&gt; (required), --lfw-dev &lt;folder&gt;, and the inference settings.
/// </summary>
public static class DlibBoxFit
{
    public static int Run(BenchArguments args)
    {
        var lfw = args.Get("lfw-dev", "") is { Length: > 0 } l ? LabelledPhotoSet.Load(l) : LabelledPhotoSet.LoadShared("lfw-dev");
        var hogFile = args.Get("hog", "") is { Length: > 0 } h ? h : throw new ArgumentException("--hog <dlib_reference hog output> is required.");
        var hogBoxes = File.ReadLines(hogFile).Skip(1).Select(line => line.Split('\t'))
            .ToLookup(f => f[0], f => new DlibRectangle(Int(f[4]), Int(f[5]), Int(f[6]), Int(f[7])));

        using var services = InferenceHost.Build(args);
        var decoder = services.GetRequiredService<Core.Imaging.IImageDecoder>();
        var detector = services.GetRequiredService<IFaceDetector>();
        var detections = new IReadOnlyList<DetectedFace>[lfw.Photos.Count];
        Parallel.For(0, lfw.Photos.Count, new ParallelOptions { MaxDegreeOfParallelism = 2 },
            i => detections[i] = detector.Detect(decoder.Decode(lfw.Read(lfw.Photos[i]))));

        var pairs = new List<(FaceBox Detector, DlibRectangle Hog)>();
        for (var i = 0; i < lfw.Photos.Count; i++)
        foreach (var face in detections[i])
        {
            var best = hogBoxes[lfw.Photos[i].Path].Select(r => (Rect: r, Iou: Iou(face.Box, AsBox(r))))
                .DefaultIfEmpty().MaxBy(c => c.Iou);
            if (best.Iou >= 0.3) pairs.Add((face.Box, best.Rect));
        }
        Console.WriteLine($"lfw-dev: {lfw.Photos.Count} photos, {detections.Sum(d => d.Count)} detector faces, " +
                          $"{hogBoxes.Sum(g => g.Count())} HOG boxes in {hogBoxes.Count} photos, {pairs.Count} pairs at IoU ≥ 0.3");

        var offsetX = Median(pairs.Select(p => (Centre(p.Hog.Left, p.Hog.Right) - (p.Detector.X + p.Detector.Width / 2)) / DlibBoxMapping.Side(p.Detector)));
        var offsetY = Median(pairs.Select(p => (Centre(p.Hog.Top, p.Hog.Bottom) - (p.Detector.Y + p.Detector.Height / 2)) / DlibBoxMapping.Side(p.Detector)));
        var scale = Median(pairs.Select(p => Side(p.Hog) / DlibBoxMapping.Side(p.Detector)));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fitted, as fractions of the detector box's side √(width·height): CentreOffsetX = {offsetX:F4}, CentreOffsetY = {offsetY:F4}, SideScale = {scale:F4}"));
        Report("fitted map", pairs, box => DlibBoxMapping.Map(box, offsetX, offsetY, scale));
        Report("map in DlibBoxMapping", pairs, DlibBoxMapping.FromDetectorBox);
        return 0;
    }

    private static void Report(string name, List<(FaceBox Detector, DlibRectangle Hog)> pairs, Func<FaceBox, DlibRectangle> map)
    {
        var ious = pairs.Select(p => Iou(AsBox(map(p.Detector)), AsBox(p.Hog))).OrderBy(x => x).ToArray();
        var cornerErrors = pairs.Select(p =>
        {
            var r = map(p.Detector);
            return (Math.Abs(r.Left - p.Hog.Left) + Math.Abs(r.Top - p.Hog.Top) + Math.Abs(r.Right - p.Hog.Right) + Math.Abs(r.Bottom - p.Hog.Bottom)) / 4.0 / Side(p.Hog);
        }).OrderBy(x => x).ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: IoU with the HOG box mean {ious.Average():F3}, 5th percentile {ious[ious.Length / 20]:F3}; " +
            $"mean edge error {cornerErrors.Average():P1} of the HOG side (median {cornerErrors[cornerErrors.Length / 2]:P1}, 95th percentile {cornerErrors[cornerErrors.Length * 19 / 20]:P1})"));
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
