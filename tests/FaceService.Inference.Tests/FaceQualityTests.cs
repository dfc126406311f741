using FaceService.Core.Faces;
using FaceService.Evaluation;
using Microsoft.Extensions.DependencyInjection;

namespace FaceService.Inference.Tests;

/// <summary>The pipeline's quality of real faces, and of copies of them made worse.</summary>
[Collection(ModelsCollection.Name)]
public sealed class FaceQualityTests(ModelsFixture models)
{
    // LFW photos of the dev set, faces about 90 px across: one looking into the camera, one turned to the image's right.
    private const string FrontalPhoto = "Paul_Tagliabue/Paul_Tagliabue_0004.jpg";
    private const string FrontalPhoto2 = "Marc_Grossman/Marc_Grossman_0004.jpg";
    private const string TurnedPhoto = "Justin_Leonard/Justin_Leonard_0002.jpg";

    private QualityOptions Options => models.Services.GetRequiredService<FaceQualityScorer>().Options;

    private async Task<FaceQuality> PrimaryQuality(byte[] photo) =>
        (await models.Pipeline.AnalyzeAsync(photo, FaceSelection.Primary)).Faces.Single().Quality;

    [Theory]
    [InlineData(FrontalPhoto)]
    [InlineData(FrontalPhoto2)]
    public async Task A_frontal_photo_passes_the_default_with_its_head_upright_and_straight(string path)
    {
        var quality = await PrimaryQuality(DevPhotos.Read(path));

        Assert.True(quality.Score >= Options.MinQuality, $"{quality}");
        Assert.Empty(quality.IssuesBelow(Options.MinQuality));
        Assert.InRange(quality.Yaw, -10, 10);
        Assert.InRange(quality.Pitch, -10, 10);
        Assert.InRange(quality.Roll, -10, 10);
    }

    [Fact]
    public async Task A_heavily_blurred_copy_is_refused_as_blurred()
    {
        // σ 4 px on a 90 px face; much more and the landmarks give way too.
        var quality = await PrimaryQuality(DegradedPhoto.Blurred(DevPhotos.Read(FrontalPhoto2), 4));

        Assert.Contains(QualityIssue.Blurred, quality.IssuesBelow(Options.MinQuality));
    }

    [Fact]
    public async Task A_strongly_downscaled_copy_is_refused_as_a_small_face()
    {
        // A 96 px face to 19 px: still found (the detector goes down to 20 px boxes), too small to recognise well.
        var quality = await PrimaryQuality(DegradedPhoto.Downscaled(DevPhotos.Read(FrontalPhoto), 0.2f));

        Assert.Contains(QualityIssue.SmallFace, quality.IssuesBelow(Options.MinQuality));
    }

    [Fact]
    public async Task The_mirror_image_turns_the_other_way_by_as_much()
    {
        var photo = DevPhotos.Read(TurnedPhoto);
        var quality = await PrimaryQuality(photo);
        var mirrored = await PrimaryQuality(DegradedPhoto.Mirrored(photo));

        Assert.True(quality.Yaw > 20, $"{quality}");
        // The landmarks of the mirror image are not exactly the mirrored landmarks: a few degrees apart.
        Assert.Equal(-quality.Yaw, mirrored.Yaw, 5f);
        Assert.Equal(-quality.Roll, mirrored.Roll, 3f);
        Assert.Equal(quality.Pitch, mirrored.Pitch, 5f);
    }

    [Fact]
    public async Task Detect_and_analyze_give_the_same_quality_for_the_same_face()
    {
        var photo = DevPhotos.Read("_group/2008_002506.jpg");

        var detected = await models.Pipeline.DetectAsync(photo);
        var analyzed = await models.Pipeline.AnalyzeAsync(photo, FaceSelection.All);

        Assert.Equal(3, detected.Faces.Count);
        Assert.Equal(detected.Faces.Select(f => f.Quality), analyzed.Faces.Select(f => f.Quality));
    }
}
