using FaceService.Core.Embeddings;
using FaceService.Core.Faces;
using FaceService.Core.Imaging;
using SkiaSharp;
using Xunit.Abstractions;

namespace FaceService.Inference.Tests;

[Collection(ModelsCollection.Name)]
public sealed class ExifOrientationTests(ModelsFixture models, ITestOutputHelper output)
{
    /// <summary>
    /// A camera that stores a portrait sideways tags it 6 or 8; the pipeline must see the upright face. Both files are
    /// encoded the same way (JPEG q100, 4:4:4, sides a multiple of 8 so the DCT blocks rotate with the pixels). JPEG's
    /// rounding still differs with the orientation (up to 3 levels in about 5 % of the bytes), so the embeddings agree
    /// closely, not exactly. Without the tag the same bytes must not pass for the upright face.
    /// </summary>
    [Theory]
    [InlineData(6)]
    [InlineData(8)]
    public async Task A_sideways_stored_photo_with_an_orientation_tag_embeds_like_the_upright_one(ushort orientation)
    {
        var photo = models.Decoder.Decode(DevPhotos.Read("Barack_Obama/Barack_Obama_0001.jpg"));
        var upright = CropToMultipleOf8(photo);
        var sideways = TestImages.Rotate90(upright, clockwise: orientation == 8);
        var uprightJpeg = TestImages.Encode(upright, SKEncodedImageFormat.Jpeg);
        var taggedJpeg = TestImages.WithExifOrientation(TestImages.Encode(sideways, SKEncodedImageFormat.Jpeg), orientation);

        var expected = Assert.Single((await models.Pipeline.AnalyzeAsync(uprightJpeg, FaceSelection.Primary)).Faces);
        var actual = await models.Pipeline.AnalyzeAsync(taggedJpeg, FaceSelection.Primary);

        Assert.Equal((upright.Width, upright.Height), (actual.ImageWidth, actual.ImageHeight));
        var face = Assert.Single(actual.Faces);
        var distance = EmbeddingMath.SquaredDistance(expected.Embedding, face.Embedding);
        var maxDifference = expected.Embedding.Zip(face.Embedding, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine($"squared distance {distance:E2}, max component difference {maxDifference:E2}, boxes {expected.Box} / {face.Box}");
        // dlib's shape predictor gives whole-pixel landmarks (as dlib stores them), so a turned photo can round a point
        // the other way: up to half a pixel of landmark, a few thousandths of a component. Still a thousandth of the
        // verify threshold, where the untagged photo below is beyond it.
        Assert.True(maxDifference <= 1e-2, $"max component difference {maxDifference}");
        Assert.True(distance <= 1e-3, $"squared distance {distance}");

        var untagged = await models.Pipeline.AnalyzeAsync(TestImages.Encode(sideways, SKEncodedImageFormat.Jpeg), FaceSelection.Primary);
        Assert.Equal((upright.Height, upright.Width), (untagged.ImageWidth, untagged.ImageHeight));
        var untaggedDistance = untagged.Faces.Count == 0 ? float.NaN : EmbeddingMath.SquaredDistance(expected.Embedding, untagged.Faces[0].Embedding);
        output.WriteLine($"untagged: {untagged.Faces.Count} faces, squared distance {untaggedDistance}");
        Assert.True(untagged.Faces.Count == 0 || untaggedDistance > VerificationDefaults.Threshold);
    }

    private static RgbaImage CropToMultipleOf8(RgbaImage image)
    {
        int w = image.Width / 8 * 8, h = image.Height / 8 * 8;
        var pixels = new byte[w * h * 4];
        for (var y = 0; y < h; y++) Array.Copy(image.Pixels, y * image.Stride, pixels, y * w * 4, w * 4);
        return new RgbaImage(w, h, pixels);
    }
}
