using FaceService.Core.Faces;
using FaceService.Core.Imaging;
using FaceService.Evaluation;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using FaceService.Inference.Detection;
using FaceService.Inference.Imaging;
using FaceService.Inference.Runtime;

namespace FaceService.Inference.Tests;

/// <summary>The service with <c>Inference:Detector = Mtcnn</c>, built once for the MTCNN tests.</summary>
public sealed class MtcnnModelsFixture : IAsyncLifetime
{
    private ServiceProvider? _services;

    public IServiceProvider Services => _services ?? throw new InvalidOperationException("Not initialised.");
    public SkiaImageDecoder Decoder => Services.GetRequiredService<SkiaImageDecoder>();
    public MtcnnFaceDetector Detector => Assert.IsType<MtcnnFaceDetector>(Services.GetRequiredService<IFaceDetector>());

    public async Task InitializeAsync()
    {
        _services = ModelsFixture.BuildServices(new Dictionary<string, string?> { ["Inference:Detector"] = "Mtcnn" });
        await Services.GetRequiredService<InferenceWarmUp>().RunAsync();
    }

    public async Task DisposeAsync()
    {
        if (_services is not null) await _services.DisposeAsync();
    }

    public RgbaImage Decode(string path) => Decoder.Decode(DevPhotos.Read(path));
}

public sealed class MtcnnDetectionTests(MtcnnModelsFixture mtcnn, ITestOutputHelper output) : IClassFixture<MtcnnModelsFixture>
{
    [Fact]
    public void Every_single_face_photo_yields_a_face_whose_five_landmarks_are_inside_it_and_in_order()
    {
        var misses = new List<string>();
        foreach (var (path, _) in DevPhotos.SingleFacePhotos)
        {
            var image = mtcnn.Decode(path);
            var faces = mtcnn.Detector.DetectWithLandmarks(image);
            if (faces.Count == 0) { misses.Add(path); continue; }

            var (face, points) = (faces[0].Face, faces[0].Landmarks);
            Assert.InRange(face.Score, MtcnnFaceDetector.ONetThreshold, 1f);
            Assert.InRange(face.Box.X, 0, image.Width);
            Assert.InRange(face.Box.Right, face.Box.X, image.Width);
            Assert.InRange(face.Box.Bottom, face.Box.Y, image.Height);
            // All five points inside the box (give or take a margin: in a profile the nose tip sticks out); left eye left
            // of the right one, nose below the eyes, mouth corners below the nose.
            var margin = 0.15f * face.Box.Width;
            foreach (var p in points)
                Assert.True(p.X >= face.Box.X - margin && p.X <= face.Box.Right + margin && p.Y >= face.Box.Y - margin && p.Y <= face.Box.Bottom + margin,
                    $"{path}: {p} outside {face.Box}; {string.Join(" ", points)}");
            Assert.True(points[0].X < points[1].X && points[3].X < points[4].X, $"{path}: left and right swapped");
            Assert.True(points[2].Y > Math.Max(points[0].Y, points[1].Y) && Math.Min(points[3].Y, points[4].Y) > points[2].Y,
                $"{path}: nose or mouth not below the eyes");
        }
        Assert.True(misses.Count == 0, "No face found in: " + string.Join(", ", misses));
    }

    [Theory]
    [InlineData("_group/2008_002506.jpg", 3)]
    [InlineData("_group/2008_002470.jpg", 6)]
    [InlineData("_group/kit_with_rose.jpg", 2)]
    public void Group_photos_yield_every_face_largest_first(string path, int expected)
    {
        DetectorChecks.EveryFaceLargestFirst(mtcnn.Detector.Detect(mtcnn.Decode(path)), expected, output);
    }

    [Theory]
    [InlineData("_noface/pilatus800.jpg")]
    [InlineData("_noface/dog.jpg")]
    [InlineData("_noface/horses.jpg")]
    public void Photos_without_people_yield_no_face(string path)
    {
        DetectorChecks.NoFace(mtcnn.Detector.Detect(mtcnn.Decode(path)));
    }

    /// <summary>
    /// Twelve dev-set faces 60-100 px wide on a 4000x3000 grey photo, the case the SSD at 512x512 cannot see: MTCNN's
    /// pyramid from 40 px finds every one and puts no box on the background.
    /// </summary>
    [Fact]
    public void Small_faces_in_a_large_photo_are_all_found()
    {
        var portraits = DevPhotos.SingleFacePhotos.Where(p => p.Path.EndsWith("_0001.jpg", StringComparison.Ordinal))
            .Select(p => (p.Person, Jpeg: DevPhotos.Read(p.Path))).Where(p => mtcnn.Decoder.Decode(p.Jpeg).Width == 250).Take(12).ToList();
        var photo = SyntheticGroupPhoto.Compose(4000, 3000, portraits, 60, 100, background: null, seed: 1);

        var faces = mtcnn.Detector.Detect(mtcnn.Decoder.Decode(photo.Jpeg));
        var (found, other) = photo.Score(faces.Select(f => (f.Box.X + f.Box.Width / 2, f.Box.Y + f.Box.Height / 2)));

        output.WriteLine($"{found} of {portraits.Count} found, {other} other boxes");
        Assert.Equal(12, portraits.Count);
        Assert.Equal(12, found);
        Assert.Equal(0, other);
    }

    /// <summary>O-Net as a second opinion on another detector's boxes: a face box is confirmed, a box on a dog is not.</summary>
    [Fact]
    public void Verify_confirms_a_face_box_and_rejects_a_box_without_a_face()
    {
        var portrait = mtcnn.Decode("George_Clooney/George_Clooney_0001.jpg");
        var dog = mtcnn.Decode("_noface/dog.jpg");

        var face = Assert.Single(mtcnn.Detector.Verify(portrait, [new FaceBox(70, 70, 110, 110)]));
        var notFace = Assert.Single(mtcnn.Detector.Verify(dog, [new FaceBox(150, 60, 160, 160)]));

        output.WriteLine($"face {face.Face.Score:F4} {face.Face.Box}; dog {notFace.Face.Score:F4}");
        Assert.True(face.Face.Score > 0.99f, $"face probability {face.Face.Score}");
        Assert.True(notFace.Face.Score < 0.1f, $"dog probability {notFace.Face.Score}");
        Assert.InRange(face.Landmarks[2].X, 100, 150);
    }

    /// <summary>
    /// A face about 16 px wide: below what the default pyramid (from 40 px faces) reaches, found once
    /// <c>MtcnnMinFaceSize</c> lets the pyramid start at 12 px (and <c>MinFaceSize</c> keeps boxes that small).
    /// </summary>
    [Fact]
    public async Task The_minimum_face_size_sets_how_small_a_face_the_pyramid_reaches()
    {
        var photo = SyntheticGroupPhoto.Compose(160, 160, [("George_Clooney", DevPhotos.Read("George_Clooney/George_Clooney_0001.jpg"))],
            16, 16, background: null, seed: 1);
        var image = mtcnn.Decoder.Decode(photo.Jpeg);
        await using var small = ModelsFixture.BuildServices(new Dictionary<string, string?>
        {
            ["Inference:Detector"] = "Mtcnn", ["Inference:MtcnnMinFaceSize"] = "12", ["Inference:MinFaceSize"] = "8",
        });

        Assert.Empty(mtcnn.Detector.Detect(image));
        var face = Assert.Single(small.GetRequiredService<IFaceDetector>().Detect(image));
        Assert.Equal((1, 0), photo.Score([(face.Box.X + face.Box.Width / 2, face.Box.Y + face.Box.Height / 2)]));
    }

    /// <summary>
    /// Photos of lfw-dev in which the SSD finds no face (frontal faces, about 100 px): MTCNN finds the central one,
    /// and so does <c>Detector = SsdThenMtcnn</c>, which asks MTCNN only then.
    /// </summary>
    [Theory]
    [InlineData("Bela_Karolyi/Bela_Karolyi_0001.jpg")]
    [InlineData("Patsy_Mink/Patsy_Mink_0001.jpg")]
    [InlineData("Tommy_Lasorda/Tommy_Lasorda_0001.jpg")]
    public async Task Faces_the_ssd_misses_are_found_by_mtcnn_and_by_the_fallback(string path)
    {
        var image = mtcnn.Decoder.Decode(File.ReadAllBytes(Path.Combine(RepoPaths.LfwDevDir, "images", path)));
        await using var ssdServices = ModelsFixture.BuildServices(new Dictionary<string, string?> { ["Inference:Detector"] = "Ssd" });
        await using var fallbackServices = ModelsFixture.BuildServices(new Dictionary<string, string?> { ["Inference:Detector"] = "SsdThenMtcnn" });
        var fallback = Assert.IsType<CombinedFaceDetector>(fallbackServices.GetRequiredService<IFaceDetector>());

        Assert.Empty(Assert.IsType<SsdFaceDetector>(ssdServices.GetRequiredService<IFaceDetector>()).Detect(image));
        foreach (var faces in new[] { mtcnn.Detector.Detect(image), fallback.Detect(image) })
        {
            Assert.NotEmpty(faces);
            var central = faces.MinBy(f => Math.Abs(f.Box.X + f.Box.Width / 2 - 125) + Math.Abs(f.Box.Y + f.Box.Height / 2 - 125)).Box;
            Assert.InRange(central.Width, 60, 160);
            Assert.InRange(central.X + central.Width / 2, 95, 155);
        }
    }
}
