using FaceService.Inference.Landmarks;

namespace FaceService.ModelBuilder.Dlib;

/// <summary>
/// Reads a serialized dlib::shape_predictor (dlib/image_processing/shape_predictor.h, format version 1): int version,
/// matrix initial_shape, vector&lt;vector&lt;regression_tree&gt;&gt; forests (each tree: vector of splits (idx1, idx2,
/// thresh), vector of leaf matrices), vector&lt;vector&lt;unsigned long&gt;&gt; anchor_idx and
/// vector&lt;vector&lt;vector&lt;float,2&gt;&gt;&gt; deltas. Takes only complete trees of one depth and the same number of
/// trees and feature pixels in every cascade, as dlib's trainer writes them.
/// </summary>
public static class DlibShapePredictorReader
{
    public static DlibShapePredictorModel Read(byte[] serialized)
    {
        var input = new DlibDeserializer(serialized);
        var version = input.ReadInt32();
        if (version != 1) throw new InvalidDataException($"dlib shape_predictor serialization version {version}; expected 1.");

        var initialShape = input.ReadFloatColumn();
        if (initialShape.Length == 0 || initialShape.Length % 2 != 0)
            throw new InvalidDataException($"The initial shape has {initialShape.Length} coordinates; expected x, y pairs.");
        var parts = initialShape.Length / 2;

        var cascades = input.ReadIndex();
        int trees = -1, splits = -1;
        var splitFeatures = new List<int>();
        var splitThresholds = new List<float>();
        var leafValues = new List<float>();
        for (var cascade = 0; cascade < cascades; cascade++)
        {
            Expect(ref trees, input.ReadIndex(), "trees per cascade");
            for (var tree = 0; tree < trees; tree++)
            {
                Expect(ref splits, input.ReadIndex(), "splits per tree");
                for (var split = 0; split < splits; split++)
                {
                    splitFeatures.Add(input.ReadIndex());
                    splitFeatures.Add(input.ReadIndex());
                    splitThresholds.Add(input.ReadSingle());
                }
                var leaves = input.ReadIndex();
                if (leaves != splits + 1) throw new InvalidDataException($"A tree has {splits} splits and {leaves} leaves; dlib's trees have one leaf more than splits.");
                for (var leaf = 0; leaf < leaves; leaf++)
                {
                    var values = input.ReadFloatColumn();
                    if (values.Length != 2 * parts) throw new InvalidDataException($"A leaf holds {values.Length} values; the shape has {2 * parts}.");
                    leafValues.AddRange(values);
                }
            }
        }
        var depth = int.Log2(splits + 1);
        if (splits < 1 || (1 << depth) != splits + 1) throw new InvalidDataException($"Trees with {splits} splits are not complete binary trees.");

        int features = -1;
        var anchorIndices = new List<int>();
        ExpectCascades(input.ReadIndex(), cascades, "anchor_idx");
        for (var cascade = 0; cascade < cascades; cascade++)
        {
            Expect(ref features, input.ReadIndex(), "feature pixels per cascade");
            for (var i = 0; i < features; i++) anchorIndices.Add(input.ReadIndex());
        }
        var anchorDeltas = new List<float>();
        ExpectCascades(input.ReadIndex(), cascades, "deltas");
        for (var cascade = 0; cascade < cascades; cascade++)
        {
            Expect(ref features, input.ReadIndex(), "feature pixels per cascade");
            for (var i = 0; i < 2 * features; i++) anchorDeltas.Add(input.ReadSingle());
        }
        input.ExpectEnd();

        return new DlibShapePredictorModel(parts, cascades, trees, depth, features, initialShape, [.. anchorIndices], [.. anchorDeltas],
            [.. splitFeatures], [.. splitThresholds], [.. leafValues]);
    }

    /// <summary>The first count read fixes the value; every later one must match it.</summary>
    private static void Expect(ref int fixedValue, int value, string what)
    {
        if (fixedValue >= 0 && value != fixedValue) throw new InvalidDataException($"{what} differ ({fixedValue} and {value}); this reader takes uniform models only.");
        fixedValue = value;
    }

    private static void ExpectCascades(int count, int cascades, string what)
    {
        if (count != cascades) throw new InvalidDataException($"{what} has {count} cascades; the forests have {cascades}.");
    }
}
