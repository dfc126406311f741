using FaceService.Core.Calibration;
using FaceService.Core.Services;
using Microsoft.Extensions.Options;

namespace FaceService.Core.Tests.Calibration;

public sealed class MatchDecisionsTests
{
    private static readonly DistanceCalibration Table = DistanceCalibrationTests.Table();
    private static readonly RecognitionOptions Defaults = new();
    private readonly MatchDecisions _decisions = new(Table, Options.Create(Defaults));

    [Fact]
    public void Verify_decides_at_the_configured_rate_unless_the_request_gives_a_rate_or_a_distance()
    {
        var byDefault = _decisions.ForVerify(null, null).ForComparisons(1);
        Assert.Equal(Table.ThresholdFor(Defaults.VerifyMaxFalseAcceptRate), byDefault.Threshold);
        Assert.InRange(byDefault.ThresholdRate, Defaults.VerifyMaxFalseAcceptRate * 0.999, Defaults.VerifyMaxFalseAcceptRate * (1 + 1e-12));

        var strict = _decisions.ForVerify(null, 1e-6).ForComparisons(1);
        Assert.Equal(0.1f, strict.Threshold, 1e-5f);
        Assert.True(strict.Threshold < byDefault.Threshold);

        var explicitDistance = _decisions.ForVerify(0.15f, null).ForComparisons(1);
        Assert.Equal(0.15f, explicitDistance.Threshold);
        Assert.Equal(1e-4, explicitDistance.ThresholdRate, 1e-12);
    }

    /// <summary>A subject with several stored faces gives a stranger a chance with each: the rate is over all of them.</summary>
    [Fact]
    public void Verify_against_several_stored_faces_keeps_the_rate_over_all_of_them()
    {
        var rule = _decisions.ForVerify(null, 1e-4);
        var one = rule.ForComparisons(1);
        var five = rule.ForComparisons(5);
        Assert.True(five.Threshold < one.Threshold);
        Assert.InRange(five.ThresholdRate, 0.999e-4, 1e-4 * (1 + 1e-12));
        Assert.Equal(1 - Math.Pow(1 - Table.FalseAcceptRate(0.12f), 5), _decisions.StrangerRate(0.12f, 5), 1e-12);
        Assert.Equal(Table.FalseAcceptRate(0.12f), _decisions.StrangerRate(0.12f, 1), 1e-15);
    }

    [Theory]
    [InlineData(0.1f, 0.001)]
    [InlineData(null, 0.0)]
    [InlineData(null, -1e-3)]
    [InlineData(null, 1.5)]
    [InlineData(null, double.NaN)]
    [InlineData(null, double.PositiveInfinity)]
    [InlineData(0f, null)]
    [InlineData(4.5f, null)]
    [InlineData(float.NaN, null)]
    public void Verify_refuses_both_a_distance_and_a_rate_and_values_out_of_range(float? threshold, double? rate)
    {
        var error = Assert.Throws<FaceServiceException>(() => _decisions.ForVerify(threshold, rate));
        Assert.Equal(FaceServiceError.ValidationFailed, error.Error);
        Assert.Equal(threshold is not null && rate is null ? "threshold" : "maxFalseAcceptRate", error.Target);
    }

    [Fact]
    public void Identify_thresholds_fall_as_the_gallery_grows_and_keep_the_share_of_strangers_within_the_rate()
    {
        var rule = _decisions.ForIdentify(null, null);
        var previous = float.MaxValue;
        foreach (var faces in new long[] { 1, 10, 100, 1_000, 10_000, 1_000_000 })
        {
            var decision = rule.ForComparisons(faces);
            Assert.True(decision.Threshold < previous, $"{faces} faces: {decision.Threshold} is not below {previous}");
            // Within the rate, up to the rounding of the round trip through the per-comparison rate.
            Assert.InRange(decision.ThresholdRate, Defaults.IdentifyMaxFalsePositiveIdentificationRate * 0.999,
                Defaults.IdentifyMaxFalsePositiveIdentificationRate * (1 + 1e-12));
            Assert.Equal(faces, decision.Comparisons);
            previous = decision.Threshold;
        }
        // One face: the per-comparison rate is the gallery rate.
        Assert.Equal(Table.ThresholdFor(Defaults.IdentifyMaxFalsePositiveIdentificationRate), rule.ForComparisons(1).Threshold);
        // An empty gallery decides as for one face and matches no stranger.
        Assert.Equal(rule.ForComparisons(1).Threshold, rule.ForComparisons(0).Threshold);
        Assert.Equal(0, rule.ForComparisons(0).ThresholdRate);
    }

    [Fact]
    public void An_explicit_identify_distance_stays_put_and_reports_what_it_lets_in()
    {
        var rule = _decisions.ForIdentify(0.15f, null);
        var small = rule.ForComparisons(10);
        var large = rule.ForComparisons(10_000);
        Assert.Equal(0.15f, small.Threshold);
        Assert.Equal(0.15f, large.Threshold);
        Assert.Equal(1 - Math.Pow(1 - 1e-4, 10), small.ThresholdRate, 1e-9);
        Assert.True(large.ThresholdRate > 0.6);
    }

    [Fact]
    public void A_request_rate_for_identify_is_validated_and_used()
    {
        Assert.True(_decisions.ForIdentify(null, 0.5).ForComparisons(100).Threshold > _decisions.ForIdentify(null, null).ForComparisons(100).Threshold);
        foreach (var (threshold, rate) in new (float?, double?)[] { (0.1f, 0.01), (null, 0), (null, 2), (null, double.NaN) })
        {
            var error = Assert.Throws<FaceServiceException>(() => _decisions.ForIdentify(threshold, rate));
            Assert.Equal(FaceServiceError.ValidationFailed, error.Error);
            Assert.Equal("maxFalsePositiveIdentificationRate", error.Target);
        }
    }

    [Fact]
    public void Candidate_rates_grow_with_distance_and_with_the_gallery()
    {
        Assert.Equal(Table.FalseAcceptRate(0.12f), _decisions.FalseAcceptRate(0.12f));
        Assert.Equal(GalleryRates.FalsePositiveIdentificationRate(Table.FalseAcceptRate(0.12f), 500), _decisions.StrangerRate(0.12f, 500));
        Assert.True(_decisions.StrangerRate(0.12f, 5000) > _decisions.StrangerRate(0.12f, 500));
        Assert.True(_decisions.StrangerRate(0.13f, 500) > _decisions.StrangerRate(0.12f, 500));
    }
}
