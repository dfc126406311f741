using FaceService.Core.Faces;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using FaceService.Inference.Detection;

namespace FaceService.Inference.Tests;

[Collection(ModelsCollection.Name)]
public sealed class DetectionTests(ModelsFixture models, ITestOutputHelper output)
{
    [Fact]
    public void Every_single_face_photo_yields_a_face_with_68_landmarks_inside_its_box()
    {
        var misses = new List<string>();
        foreach (var (path, _) in DevPhotos.SingleFacePhotos)
        {
            var image = models.Decoder.Decode(DevPhotos.Read(path));
            var faces = models.Detector.Detect(image);
            if (faces.Count == 0) { misses.Add(path); continue; }

            var box = faces[0].Box;
            Assert.InRange(box.X, 0, image.Width);
            Assert.InRange(box.Right, box.X, image.Width);
            Assert.InRange(box.Bottom, box.Y, image.Height);
            Assert.InRange(faces[0].Score, models.Options.DetectorScoreThreshold, 1f);

            var landmarks = models.Landmarker.Detect(image, [box])[0];
            Assert.Equal(FaceLandmarks.Count, landmarks.Points.Count);
            // The eye centres and nose tip lie inside the detector box (give or take a tenth of it: dlib's shape predictor
            // works on its own box, placed from the face, not on the detector's), left eye left of the right one.
            var five = landmarks.ToFivePoints();
            var (marginX, marginY) = (box.Width / 10, box.Height / 10);
            foreach (var p in five[..3])
            {
                Assert.True(p.X >= box.X - marginX && p.X <= box.Right + marginX && p.Y >= box.Y - marginY && p.Y <= box.Bottom + marginY,
                    $"{path}: landmark {p} outside {box}");
            }
            Assert.True(five[0].X < five[1].X, $"{path}: eyes swapped");
            Assert.True(five[2].Y > five[0].Y && five[3].Y > five[2].Y, $"{path}: nose/mouth not below the eyes");
        }
        Assert.True(misses.Count == 0, "No face found in: " + string.Join(", ", misses));
    }

    [Theory]
    [InlineData("_group/2008_002506.jpg", 3)]
    [InlineData("_group/2008_002470.jpg", 6)]
    [InlineData("_group/kit_with_rose.jpg", 2)]
    public void Group_photos_yield_every_face(string path, int expected)
    {
        DetectorChecks.EveryFaceLargestFirst(models.Detector.Detect(models.Decoder.Decode(DevPhotos.Read(path))), expected, output);
    }

    [Theory]
    [InlineData("_noface/pilatus800.jpg")]
    [InlineData("_noface/dog.jpg")]
    [InlineData("_noface/horses.jpg")]
    public void Photos_without_people_yield_no_face(string path)
    {
        DetectorChecks.NoFace(models.Detector.Detect(models.Decoder.Decode(DevPhotos.Read(path))));
    }

    [Fact]
    public async Task A_batch_of_images_gives_what_each_gives_alone()
    {
        var images = new[] { "_group/2008_002506.jpg", "Kit_Harington/Kit_Harington_0001.jpg" }
            .Select(p => models.Decoder.Decode(DevPhotos.Read(p))).ToArray();
        await using var ssdServices = ModelsFixture.BuildServices(new Dictionary<string, string?> { ["Inference:Detector"] = "Ssd" });
        var detector = Assert.IsType<SsdFaceDetector>(ssdServices.GetRequiredService<IFaceDetector>());

        var batched = detector.DetectBatch(images);

        Assert.Equal(images.Length, batched.Length);
        for (var i = 0; i < images.Length; i++)
        {
            var alone = detector.Detect(images[i]);
            Assert.Equal(alone.Count, batched[i].Count);
            for (var f = 0; f < alone.Count; f++)
            {
                Assert.True(Math.Abs(alone[f].Box.X - batched[i][f].Box.X) < 0.5 && Math.Abs(alone[f].Box.Bottom - batched[i][f].Box.Bottom) < 0.5);
                Assert.Equal(alone[f].Score, batched[i][f].Score, 3);
            }
        }
    }

    [Fact]
    public async Task Pipeline_detects_every_face_and_embeds_the_primary_one_when_asked()
    {
        var bytes = DevPhotos.Read("_group/2008_002470.jpg");

        var all = await models.Pipeline.DetectAsync(bytes);
        var primary = await models.Pipeline.AnalyzeAsync(bytes, FaceSelection.Primary);

        Assert.True(all.Faces.Count > 1);
        Assert.Equal(all.Faces.Count, all.FacesDetected);
        Assert.Equal(all.Faces.Count, primary.FacesDetected);
        Assert.All(all.Faces, f => Assert.IsNotType<EmbeddedFace>(f));
        Assert.All(all.Faces, f => Assert.Equal(5, f.Landmarks.Count));
        var face = Assert.Single(primary.Faces);
        Assert.Equal(all.Faces[PrimaryFace.Select(all.Faces.Select(f => (f.Box, f.Score)).ToList(), all.ImageWidth, all.ImageHeight)].Box, face.Box);
        Assert.Equal(128, face.Embedding.Length);
        Assert.Equal(1f, MathF.Sqrt(face.Embedding.Sum(x => x * x)), 4);
        Assert.Equal(models.Quantizer.Quantize(face.Embedding), face.Code);
        Assert.Equal((500, 332), (primary.ImageWidth, primary.ImageHeight));
    }
}
