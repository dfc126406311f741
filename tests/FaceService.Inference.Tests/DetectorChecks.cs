using FaceService.Core.Faces;
using Xunit.Abstractions;

namespace FaceService.Inference.Tests;

/// <summary>The dev set's group and no-face photos, checked the same way for every detector.</summary>
internal static class DetectorChecks
{
    /// <summary>Exactly the labelled number of faces, largest first.</summary>
    public static void EveryFaceLargestFirst(IReadOnlyList<DetectedFace> faces, int expected, ITestOutputHelper output)
    {
        output.WriteLine(string.Join("\n", faces.Select(f => $"{f.Box} score {f.Score:F3}")));
        Assert.Equal(expected, faces.Count);
        for (var i = 1; i < faces.Count; i++) Assert.True(faces[i - 1].Box.Area >= faces[i].Box.Area, "not sorted by area");
    }

    public static void NoFace(IReadOnlyList<DetectedFace> faces) =>
        Assert.True(faces.Count == 0, string.Join("; ", faces.Select(f => $"{f.Box} {f.Score:F3}")));
}
