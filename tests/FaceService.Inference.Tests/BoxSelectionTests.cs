using FaceService.Core.Faces;
using FaceService.Inference.Detection;

namespace FaceService.Inference.Tests;

/// <summary>The candidate selection every detector shares: NMS, then clip, minimum size, largest first, limit.</summary>
public sealed class BoxSelectionTests
{
    private static readonly FaceBox[] Boxes =
    [
        new(0, 0, 10, 10),   // 0.6
        new(1, 0, 10, 10),   // 0.9: overlaps box 0 by IoU 0.82
        new(2, 2, 4, 4),     // 0.8: inside box 1, IoU 0.16, all of it under box 1
        new(50, 50, 10, 10), // 0.7: apart
    ];

    private static readonly float[] Scores = [0.6f, 0.9f, 0.8f, 0.7f];

    [Fact]
    public void Suppression_keeps_the_best_of_each_overlapping_group_best_first()
    {
        Assert.Equal([1, 2, 3], BoxSelection.Suppress(Boxes.Length, i => Boxes[i], i => Scores[i], threshold: 0.5f));
        // Over the smaller box, the box inside box 1 goes too.
        Assert.Equal([1, 3], BoxSelection.Suppress(Boxes.Length, i => Boxes[i], i => Scores[i], threshold: 0.5f, overSmaller: true));
        Assert.Empty(BoxSelection.Suppress(0, i => Boxes[i], i => Scores[i], 0.5f));
    }

    [Fact]
    public void Selection_clips_to_the_image_drops_small_boxes_and_keeps_the_largest()
    {
        DetectedFace[] faces =
        [
            new(new FaceBox(-5, -5, 20, 20), 0.9f), // clipped to 15x15
            new(new FaceBox(30, 30, 12, 12), 0.8f),
            new(new FaceBox(90, 90, 20, 20), 0.7f), // clipped to 10x10: under the minimum
            new(new FaceBox(60, 0, 13, 13), 0.6f),
        ];
        var kept = BoxSelection.ClipAndLimit(faces, f => f.Box, (f, box) => f with { Box = box }, 100, 100, minSize: 11, maxFaces: 2);
        Assert.Equal([new FaceBox(0, 0, 15, 15), new FaceBox(60, 0, 13, 13)], kept.Select(f => f.Box));
        Assert.Equal([0.9f, 0.6f], kept.Select(f => f.Score));
    }
}
