namespace FaceService.ModelBuilder.Tests.Parity;

public static class ParityMath
{
    public static float MaxAbsDifference(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        if (expected.Length != actual.Length)
        {
            throw new ArgumentException($"Lengths differ: {expected.Length} vs {actual.Length}.");
        }

        float max = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            max = Math.Max(max, Math.Abs(expected[i] - actual[i]));
        }

        return max;
    }
}
