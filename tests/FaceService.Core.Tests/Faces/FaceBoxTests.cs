using FaceService.Core.Faces;

namespace FaceService.Core.Tests.Faces;

public sealed class FaceBoxTests
{
    [Theory]
    [InlineData(0, 0, 10, 10, 0, 0, 10, 10, 1f)]
    [InlineData(0, 0, 10, 10, 20, 20, 10, 10, 0f)]
    [InlineData(0, 0, 10, 10, 10, 0, 10, 10, 0f)] // touching edges share no area
    [InlineData(0, 0, 10, 10, 5, 0, 10, 10, 50f / 150f)]
    [InlineData(0, 0, 10, 10, 2, 2, 5, 5, 25f / 100f)] // one inside the other
    [InlineData(0, 0, 0, 10, 0, 0, 10, 10, 0f)] // a box of no area overlaps nothing
    public void Intersection_over_union_is_the_shared_share_of_both(float x1, float y1, float w1, float h1, float x2, float y2, float w2, float h2, float expected)
    {
        var (a, b) = (new FaceBox(x1, y1, w1, h1), new FaceBox(x2, y2, w2, h2));
        Assert.Equal(expected, a.IntersectionOverUnion(b), 5);
        Assert.Equal(expected, b.IntersectionOverUnion(a), 5);
    }

    [Theory]
    [InlineData(0, 0, 10, 10, 2, 2, 5, 5, 1f)] // one inside the other: all of the smaller
    [InlineData(0, 0, 10, 10, 5, 0, 10, 10, 0.5f)]
    [InlineData(0, 0, 10, 10, 8, 0, 4, 4, 8f / 16f)]
    [InlineData(0, 0, 10, 10, 10, 0, 10, 10, 0f)]
    [InlineData(0, 0, 0, 10, 0, 0, 10, 10, 0f)]
    public void Intersection_over_smaller_is_the_shared_share_of_the_smaller_box(float x1, float y1, float w1, float h1, float x2, float y2, float w2, float h2, float expected)
    {
        var (a, b) = (new FaceBox(x1, y1, w1, h1), new FaceBox(x2, y2, w2, h2));
        Assert.Equal(expected, a.IntersectionOverSmaller(b), 5);
        Assert.Equal(expected, b.IntersectionOverSmaller(a), 5);
    }
}
