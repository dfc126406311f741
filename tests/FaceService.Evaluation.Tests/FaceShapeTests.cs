using FaceService.Core.Faces;

namespace FaceService.Evaluation.Tests;

public class FaceShapeTests
{
    private static readonly FaceBox Box = new(0, 0, 100, 120);

    // dlib's mean face, five points, in a 100x120 box: eyes 38 px apart, mouth 40 px below them.
    private static readonly Point2[] Upright = [new(31, 45), new(69, 45), new(50, 67), new(36, 85), new(64, 85)];

    [Fact]
    public void An_upright_face_and_the_same_face_turned_a_quarter_pass()
    {
        Assert.True(FaceShape.IsPlausible(Box, Upright));
        var quarterTurn = Upright.Select(p => new Point2(120 - p.Y, p.X)).ToArray();
        Assert.True(FaceShape.IsPlausible(new FaceBox(0, 0, 120, 100), quarterTurn));
    }

    [Fact]
    public void Points_in_a_line_or_huddled_together_fail()
    {
        Point2[] inALine = [new(20, 50), new(35, 50), new(50, 50), new(65, 50), new(80, 50)];
        Point2[] huddled = [new(48, 50), new(52, 50), new(50, 52), new(49, 54), new(51, 54)];
        Point2[] mouthAboveNose = [new(31, 45), new(69, 45), new(50, 100), new(36, 60), new(64, 60)];

        Assert.False(FaceShape.IsPlausible(Box, inALine));
        Assert.False(FaceShape.IsPlausible(Box, huddled));
        Assert.False(FaceShape.IsPlausible(Box, mouthAboveNose));
    }
}
