using FaceService.Core.Embeddings;

namespace FaceService.Core.Tests;

public sealed class SubjectTemplateTests
{
    private readonly EmbeddingQuantizer _quantizer = new();

    private sbyte[] Code(int seed)
    {
        var random = new Random(seed);
        var v = Enumerable.Range(0, EmbeddingQuantizer.Dimensions).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        EmbeddingMath.NormalizeInPlace(v);
        return _quantizer.Quantize(v);
    }

    [Fact]
    public void One_face_is_its_own_unit_vector()
    {
        var code = Code(1);
        Assert.Equal(_quantizer.Dequantize(code), SubjectTemplate.Combine(_quantizer, [code]));
        Assert.Equal(0f, SubjectTemplate.Distance(_quantizer, code, SubjectTemplate.Combine(_quantizer, [code])), 1e-6f);
        Assert.Equal(_quantizer.SquaredDistance(code, Code(2)), SubjectTemplate.Distance(_quantizer, code, SubjectTemplate.Combine(_quantizer, [Code(2)])), 1e-5f);
    }

    [Fact]
    public void Several_faces_give_the_normalised_mean_of_their_unit_vectors_whatever_their_order()
    {
        sbyte[][] codes = [Code(1), Code(2), Code(3)];
        var mean = new float[EmbeddingQuantizer.Dimensions];
        foreach (var code in codes)
        {
            var v = _quantizer.Dequantize(code);
            for (var i = 0; i < mean.Length; i++) mean[i] += v[i];
        }
        EmbeddingMath.NormalizeInPlace(mean);
        Assert.Equal(mean, SubjectTemplate.Combine(_quantizer, codes));
        Assert.True(EmbeddingMath.SquaredDistance(SubjectTemplate.Combine(_quantizer, codes), SubjectTemplate.Combine(_quantizer, [codes[2], codes[0], codes[1]])) < 1e-6);
        // The mean is nearer to each of its faces than they are to each other.
        var template = SubjectTemplate.Combine(_quantizer, codes);
        Assert.All(codes, c => Assert.True(SubjectTemplate.Distance(_quantizer, c, template) < _quantizer.SquaredDistance(codes[0], codes[1])));
    }

    [Fact]
    public void No_faces_and_an_empty_template_are_refused()
    {
        Assert.Throws<ArgumentException>(() => SubjectTemplate.Combine(_quantizer, []));
        Assert.Throws<ArgumentException>(() => SubjectTemplate.Distance(_quantizer, Code(1), new float[EmbeddingQuantizer.Dimensions]));
    }
}
