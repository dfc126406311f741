using FaceService.Core.Faces;
using FaceService.Evaluation;
using Microsoft.Extensions.DependencyInjection;

namespace FaceService.Inference.Tests;

/// <summary>The pipeline's quality of real faces, and of copies of them made worse.</summary>
[Collection(ModelsCollection.Name)]
public sealed class FaceQualityTests(ModelsFixture models)
{
    private const string FrontalPhoto = "George_Clooney/George_Clooney_0001.jpg";
    private const string TurnedPhoto = "Jon_Voight/Jon_Voight_0001.jpg";

    private QualityOptions Options => models.Services.GetRequiredService<FaceQualityScorer>().Options;

    private async Task<FaceQuality> PrimaryQuality(byte[] photo) =>
        (await models.Pipeline.AnalyzeAsync(photo, FaceSelection.Primary)).Faces.Single().Quality;

    [Fact]
    public async Task A_frontal_photo_passes_the_default_with_its_head_upright_and_straight()
    {
        var quality = await PrimaryQuality(DevPhotos.Read(FrontalPhoto));

        Assert.True(quality.Score >= Options.MinQuality, $"{quality}");
        Assert.Empty(quality.IssuesBelow(Options.MinQuality));
        Assert.InRange(quality.Yaw, -10, 10);
        Assert.InRange(quality.Pitch, -10, 10);
        Assert.InRange(quality.Roll, -10, 10);
    }

    [Fact]
    public async Task A_heavily_blurred_copy_is_refused_as_blurred()
    {
        var quality = await PrimaryQuality(DegradedPhoto.Blurred(DevPhotos.Read(FrontalPhoto), 4));

        Assert.Contains(QualityIssue.Blurred, quality.IssuesBelow(Options.MinQuality));
    }

    [Fact]
    public async Task A_strongly_downscaled_copy_is_refused_as_a_small_face()
    {
        var quality = await PrimaryQuality(DegradedPhoto.Downscaled(DevPhotos.Read(FrontalPhoto), 0.25f));

        Assert.Contains(QualityIssue.SmallFace, quality.IssuesBelow(Options.MinQuality));
    }

    [Fact]
    public async Task The_mirror_image_turns_the_other_way_by_as_much()
    {
        var photo = DevPhotos.Read(TurnedPhoto);
        var quality = await PrimaryQuality(photo);
        var mirrored = await PrimaryQuality(DegradedPhoto.Mirrored(photo));

        Assert.True(Math.Abs(quality.Yaw) > 10, $"{quality}");
        Assert.Equal(-quality.Yaw, mirrored.Yaw, 3f);
        Assert.Equal(-quality.Roll, mirrored.Roll, 3f);
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
