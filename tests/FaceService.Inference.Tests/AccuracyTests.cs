using FaceService.Core.Embeddings;
using Xunit.Abstractions;

namespace FaceService.Inference.Tests;

/// <summary>
/// Verification quality on the dev set (all pairs of the largest face of each single-face photo). The numbers printed
/// here are the ones in docs/ACCURACY.md.
/// </summary>
public sealed class AccuracyTests(DevSetEmbeddingsFixture devSet, ITestOutputHelper output) : IClassFixture<DevSetEmbeddingsFixture>
{
    private List<ScoredPair> Pairs(FaceAlignment alignment)
    {
        var faces = devSet.Faces(alignment);
        return VerificationMetrics.AllPairs(faces, (i, j) => EmbeddingMath.SquaredDistance(faces[i].Embedding, faces[j].Embedding));
    }

    [Fact]
    public void Aligned_chips_separate_people_and_beat_box_crops()
    {
        var auc = new Dictionary<FaceAlignment, double>();
        foreach (var alignment in Enum.GetValues<FaceAlignment>())
        {
            var pairs = Pairs(alignment);
            var threshold = VerificationMetrics.CalibrateThreshold(pairs);
            var lopo = VerificationMetrics.LeaveOnePersonOut(pairs);
            auc[alignment] = VerificationMetrics.RocAuc(pairs);
            output.WriteLine(
                $"{alignment}: pairs {pairs.Count(p => p.Same)} same / {pairs.Count(p => !p.Same)} different; AUC {auc[alignment]:F4}; " +
                $"at default {VerificationDefaults.Threshold}: balanced acc {VerificationMetrics.BalancedAccuracy(pairs, VerificationDefaults.Threshold):F4}, " +
                $"acc {VerificationMetrics.Accuracy(pairs, VerificationDefaults.Threshold):F4}; " +
                $"calibrated {threshold:F3}: balanced acc {VerificationMetrics.BalancedAccuracy(pairs, threshold):F4}, acc {VerificationMetrics.Accuracy(pairs, threshold):F4}; " +
                $"leave-one-person-out balanced acc {lopo.BalancedAccuracy:F4} (thresholds {lopo.MinThreshold:F3}..{lopo.MaxThreshold:F3})");
        }

        Assert.True(auc[FaceAlignment.Landmarks68] >= 0.98, $"AUC {auc[FaceAlignment.Landmarks68]:F4}");
        Assert.True(auc[FaceAlignment.FivePoint] >= 0.98, $"AUC {auc[FaceAlignment.FivePoint]:F4}");
        Assert.True(auc[FaceAlignment.Landmarks68] >= auc[FaceAlignment.BoxCrop], "aligned chips should not be worse than box crops");
        Assert.True(auc[FaceAlignment.FivePoint] >= auc[FaceAlignment.BoxCrop], "aligned chips should not be worse than box crops");
    }

    [Fact]
    public void Default_threshold_is_the_dev_set_calibration_and_holds_out_of_sample()
    {
        var pairs = Pairs(devSet.Models.Options.Alignment);
        var calibrated = VerificationMetrics.CalibrateThreshold(pairs);
        var best = VerificationMetrics.BalancedAccuracy(pairs, calibrated);
        var atDefault = VerificationMetrics.BalancedAccuracy(pairs, VerificationDefaults.Threshold);
        var lopo = VerificationMetrics.LeaveOnePersonOut(pairs);
        var threshold = VerificationDefaults.Threshold;
        foreach (var p in pairs.Where(p => p.Same != (p.Distance <= threshold)))
            output.WriteLine($"error at default: {p.PersonA} / {p.PersonB} ({(p.Same ? "same" : "different")}) at {p.Distance:F4}");
        output.WriteLine($"nearest correct pairs: below {pairs.Where(p => p.Same && p.Distance <= threshold).Max(p => p.Distance):F4}, " +
                         $"above {pairs.Where(p => !p.Same && p.Distance > threshold).Min(p => p.Distance):F4}");
        output.WriteLine($"calibrated {calibrated:F4} (balanced acc {best:F4}); default {VerificationDefaults.Threshold} (balanced acc {atDefault:F4}); LOPO {lopo}");

        Assert.True(atDefault >= best - 0.01, $"default threshold gives {atDefault:F4}, calibration reaches {best:F4}");
        Assert.True(lopo.BalancedAccuracy >= 0.95, $"leave-one-person-out balanced accuracy {lopo.BalancedAccuracy:F4}");
    }

    [Fact]
    public void Quantized_codes_give_the_same_decisions_and_nearly_the_same_distances()
    {
        var quantizer = devSet.Models.Quantizer;
        var faces = devSet.Faces(devSet.Models.Options.Alignment);
        var codes = faces.Select(f => quantizer.Quantize(f.Embedding)).ToArray();
        var maxComponent = faces.Max(f => f.Embedding.Max(MathF.Abs));

        double maxDelta = 0;
        var changedDecisions = 0;
        for (var i = 0; i < faces.Count; i++)
        for (var j = i + 1; j < faces.Count; j++)
        {
            var exact = EmbeddingMath.SquaredDistance(faces[i].Embedding, faces[j].Embedding);
            var quantized = quantizer.SquaredDistance(codes[i], codes[j]);
            maxDelta = Math.Max(maxDelta, Math.Abs(exact - quantized));
            if (exact <= VerificationDefaults.Threshold != quantized <= VerificationDefaults.Threshold) changedDecisions++;
        }
        output.WriteLine($"max |component| {maxComponent:F4} (x scale {EmbeddingQuantizer.Scale} = {maxComponent * EmbeddingQuantizer.Scale:F1}); " +
                         $"max |Δ squared distance| {maxDelta:F5}; changed decisions {changedDecisions}");

        Assert.True(maxComponent * EmbeddingQuantizer.Scale <= 127, "a component would be clipped");
        Assert.True(maxDelta <= 0.01, $"max |Δ| = {maxDelta}");
        Assert.Equal(0, changedDecisions);
    }
}
