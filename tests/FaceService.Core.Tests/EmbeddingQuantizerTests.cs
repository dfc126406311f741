using FaceService.Core.Embeddings;

namespace FaceService.Core.Tests;

public sealed class EmbeddingQuantizerTests
{
    private readonly EmbeddingQuantizer _quantizer = new();

    private static float[] RandomUnit(Random random, float spread = 1f)
    {
        var v = new float[EmbeddingQuantizer.Dimensions];
        for (var i = 0; i < v.Length; i++) v[i] = (float)(random.NextDouble() * 2 - 1) * spread;
        EmbeddingMath.NormalizeInPlace(v);
        return v;
    }

    [Fact]
    public void Codes_follow_the_documented_formula()
    {
        var v = RandomUnit(new Random(1));
        var code = _quantizer.Quantize(v);
        for (var i = 0; i < v.Length; i++)
            Assert.Equal((sbyte)Math.Clamp(MathF.Round(v[i] * EmbeddingQuantizer.Scale), -127, 127), code[i]);
    }

    [Fact]
    public void Components_beyond_the_code_range_are_clipped_to_127_never_wrapped()
    {
        var v = new float[EmbeddingQuantizer.Dimensions];
        v[0] = 1f; // a unit vector along one axis: 320 would wrap in a byte
        v[1] = -1f;
        var code = _quantizer.Quantize(v);
        Assert.Equal(127, code[0]);
        Assert.Equal(-127, code[1]);
        Assert.All(code[2..], c => Assert.Equal(0, c));
    }

    [Fact]
    public void Dequantized_vectors_are_unit_length_and_close_to_the_original()
    {
        var random = new Random(2);
        for (var n = 0; n < 100; n++)
        {
            var v = RandomUnit(random);
            var back = _quantizer.Dequantize(_quantizer.Quantize(v));
            Assert.Equal(1f, MathF.Sqrt(back.Sum(x => x * x)), 5);
            Assert.True(EmbeddingMath.SquaredDistance(v, back) < 1e-3);
        }
    }

    [Fact]
    public void Code_distance_equals_the_distance_of_the_dequantized_vectors_and_tracks_the_float_distance()
    {
        var random = new Random(3);
        for (var n = 0; n < 200; n++)
        {
            var a = RandomUnit(random);
            var b = RandomUnit(random);
            var (ca, cb) = (_quantizer.Quantize(a), _quantizer.Quantize(b));

            var onCodes = _quantizer.SquaredDistance(ca, cb);

            Assert.Equal(EmbeddingMath.SquaredDistance(_quantizer.Dequantize(ca), _quantizer.Dequantize(cb)), onCodes, 4);
            Assert.True(Math.Abs(EmbeddingMath.SquaredDistance(a, b) - onCodes) <= 0.02, $"code distance {onCodes} vs float {EmbeddingMath.SquaredDistance(a, b)}");
            Assert.InRange(onCodes, 0f, 4f);
        }
    }

    [Fact]
    public void Identical_codes_are_at_distance_zero_and_opposite_ones_at_four()
    {
        var v = RandomUnit(new Random(4));
        var code = _quantizer.Quantize(v);
        var opposite = _quantizer.Quantize(v.Select(x => -x).ToArray());
        Assert.Equal(0f, _quantizer.SquaredDistance(code, code), 5);
        Assert.Equal(4f, _quantizer.SquaredDistance(code, opposite), 5);
    }

    [Fact]
    public void Wrong_lengths_and_bad_values_are_refused()
    {
        Assert.Throws<ArgumentException>(() => _quantizer.Quantize(new float[127]));
        Assert.Throws<ArgumentException>(() => _quantizer.Dequantize(new sbyte[129]));
        Assert.Throws<ArgumentException>(() => _quantizer.SquaredDistance(new sbyte[128], new sbyte[64]));
        var nan = new float[EmbeddingQuantizer.Dimensions];
        nan[5] = float.NaN;
        Assert.Throws<ArgumentException>(() => _quantizer.Quantize(nan));
        Assert.Throws<ArgumentException>(() => _quantizer.Dequantize(new sbyte[128]));
    }
}
