using Xunit.Abstractions;

namespace FaceService.ModelBuilder.Tests.Parity;

public sealed class DetectorParityTests(DetectorModel model, ITestOutputHelper output) : IClassFixture<DetectorModel>
{
    private const float MaxScoreDifference = 1e-3f;
    private const float MaxPixelDifference = 1f;

    public static TheoryData<string> Inputs => ParityFixtures.Names(ParityFixtures.Detector);

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Raw_scores_and_boxes_of_the_strongest_anchors_match_face_api(string name)
    {
        DetectorOutput expected = ParityFixtures.Detector.Inputs.Single(i => i.Name == name);
        ParityInput input = ParityInputSet.Matching(expected);

        (float[] boxes, float[] scores) = RunDetector(input, expected.AnchorCount);

        float scoreDifference = 0, pixelDifference = 0;
        foreach (FixtureAnchor anchor in expected.TopAnchors)
        {
            scoreDifference = Math.Max(scoreDifference, Math.Abs(anchor.Score - scores[anchor.Index]));
            float[] actualBox = boxes.AsSpan(anchor.Index * 4, 4).ToArray();
            pixelDifference = Math.Max(pixelDifference,
                ParityMath.MaxAbsDifference(anchor.Box, actualBox) * input.Width);
        }

        output.WriteLine($"{name}: top {expected.TopAnchors.Count} anchors, max |score difference| = " +
            $"{scoreDifference:E3}, max |box difference| = {pixelDifference:E3} px");
        Assert.True(scoreDifference <= MaxScoreDifference,
            $"{name}: anchor scores differ from face-api by up to {scoreDifference:E3} (allowed {MaxScoreDifference:E0}).");
        Assert.True(pixelDifference <= MaxPixelDifference,
            $"{name}: anchor boxes differ from face-api by up to {pixelDifference:F3} px (allowed {MaxPixelDifference} px).");
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Detections_after_face_api_nms_match_face_api(string name)
    {
        ParityFixture<DetectorOutput> fixture = ParityFixtures.Detector;
        DetectorOptions options = fixture.Options ?? throw new InvalidDataException("detector.json has no options.");
        DetectorOutput expected = fixture.Inputs.Single(i => i.Name == name);
        ParityInput input = ParityInputSet.Matching(expected);

        (float[] boxes, float[] scores) = RunDetector(input, expected.AnchorCount);
        List<PixelDetection> unmatched = FaceApiNms.LocateFaces(boxes, scores, input.Width, options).ToList();

        // Each face-api detection must have an ONNX detection within 1 px (nearest box), unless its score is so close
        // to the threshold that either side of it is within tolerance.
        float scoreDifference = 0, pixelDifference = 0;
        foreach (FixtureDetection detection in expected.Detections)
        {
            PixelDetection? match = unmatched
                .MinBy(d => ParityMath.MaxAbsDifference(detection.Box, d.Box));
            if (match is null || ParityMath.MaxAbsDifference(detection.Box, match.Box) > MaxPixelDifference)
            {
                Assert.True(IsBorderline(detection.Score, options),
                    $"{name}: face-api detection (score {detection.Score}, box {string.Join(", ", detection.Box)}) " +
                    "has no counterpart within 1 px in the ONNX detections.");
                continue;
            }

            unmatched.Remove(match);
            scoreDifference = Math.Max(scoreDifference, Math.Abs(detection.Score - match.Score));
            pixelDifference = Math.Max(pixelDifference, ParityMath.MaxAbsDifference(detection.Box, match.Box));
        }

        output.WriteLine($"{name}: {expected.Detections.Count} face-api detections, max |score difference| = " +
            $"{scoreDifference:E3}, max |box difference| = {pixelDifference:E3} px");
        Assert.All(unmatched, extra => Assert.True(IsBorderline(extra.Score, options),
            $"{name}: ONNX detection (score {extra.Score}, box {string.Join(", ", extra.Box)}) is not in face-api's."));
        Assert.True(scoreDifference <= MaxScoreDifference,
            $"{name}: detection scores differ from face-api by up to {scoreDifference:E3} (allowed {MaxScoreDifference:E0}).");
    }

    private static bool IsBorderline(float score, DetectorOptions options) =>
        Math.Abs(score - options.MinConfidence) <= MaxScoreDifference;

    private (float[] Boxes, float[] Scores) RunDetector(ParityInput input, int anchorCount)
    {
        Dictionary<string, (float[] Values, int[] Shape)> outputs = model.RunAll(input);
        (float[] boxes, int[] boxesShape) = outputs["boxes"];
        (float[] scores, int[] scoresShape) = outputs["scores"];
        Assert.Equal([1, anchorCount, 4], boxesShape);
        Assert.Equal([1, anchorCount], scoresShape);
        return (boxes, scores);
    }
}
