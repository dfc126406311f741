using FaceService.Core.Calibration;
using FaceService.Core.Services;
using FaceService.Core.Storage;
using Microsoft.Extensions.Options;

namespace FaceService.Core.Tests.Calibration;

public sealed class MatchDecisionsTests
{
    private static readonly DistanceCalibration Table = DistanceCalibrationTests.Table();
    private static readonly RecognitionOptions Defaults = new();
    private readonly MatchDecisions _decisions = new(GalleryCalibrationTests.Gallery(), Options.Create(Defaults));

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

    /// <summary>
    /// By default a face's candidate matches when its statistic has a stranger rate within the configured rate at the
    /// gallery's size; every candidate carries that rate and its template-scaled false-accept rate.
    /// </summary>
    [Fact]
    public void Identify_matches_a_candidate_whose_stranger_rate_is_within_the_rate()
    {
        var gallery = GalleryCalibrationTests.Gallery();
        SubjectMatch[] nearest = [new("ann", 1, 0.08f), new("bob", 1, 0.17f), new("cy", 1, 0.18f), new("dee", 1, 0.2f), new("eve", 1, 0.25f)];
        foreach (var subjects in new long[] { 5, 100, 10_000 })
        {
            var decision = _decisions.ForIdentify(null, null, subjects);
            Assert.Equal(Defaults.IdentifyMaxFalsePositiveIdentificationRate, decision.MaxFalsePositiveIdentificationRate);
            Assert.Null(decision.Threshold);
            var judged = decision.Judge(nearest);
            var ranked = gallery.Ranking.Rank(nearest);
            for (var i = 0; i < judged.Count; i++)
            {
                Assert.Equal(ranked[i].Statistic, judged[i].Statistic);
                Assert.Equal(gallery.StrangerRate(ranked[i].Statistic, subjects), judged[i].FalsePositiveIdentificationRate);
                Assert.Equal(Table.FalseAcceptRate(nearest[i].Distance), judged[i].FalseAcceptRate, 12);
                Assert.Equal(judged[i].FalsePositiveIdentificationRate <= Defaults.IdentifyMaxFalsePositiveIdentificationRate, judged[i].WithinRule);
            }
            Assert.True(judged[0].WithinRule, $"{subjects} subjects: ann stands far out");
            Assert.False(judged[1].WithinRule);
        }
        // The same distance with the rest of the gallery as near is no match: the face is near everyone.
        SubjectMatch[] crowded = [new("ann", 1, 0.08f), new("bob", 1, 0.085f), new("cy", 1, 0.09f), new("dee", 1, 0.09f), new("eve", 1, 0.1f)];
        Assert.False(_decisions.ForIdentify(null, null, 100).Judge(crowded)[0].WithinRule);
    }

    [Fact]
    public void An_explicit_identify_distance_decides_by_distance_and_still_reports_the_rates()
    {
        var decision = _decisions.ForIdentify(0.15f, null, 100);
        Assert.Equal(0.15f, decision.Threshold);
        Assert.Null(decision.MaxFalsePositiveIdentificationRate);
        SubjectMatch[] crowded = [new("ann", 1, 0.08f), new("bob", 1, 0.085f), new("cy", 1, 0.09f), new("dee", 1, 0.16f)];
        var judged = decision.Judge(crowded);
        Assert.Equal([true, true, true, false], judged.Select(j => j.WithinRule));
        Assert.All(judged, j => Assert.InRange(j.FalsePositiveIdentificationRate, 0, 1));
    }

    [Fact]
    public void A_request_rate_for_identify_is_validated_and_used()
    {
        SubjectMatch[] nearest = [new("ann", 1, 0.14f), new("bob", 1, 0.2f), new("cy", 1, 0.3f), new("dee", 1, 0.4f), new("eve", 1, 0.5f)];
        Assert.False(_decisions.ForIdentify(null, 1e-4, 100).Judge(nearest)[0].WithinRule);
        Assert.True(_decisions.ForIdentify(null, 0.5, 100).Judge(nearest)[0].WithinRule);
        foreach (var (threshold, rate) in new (float?, double?)[] { (0.1f, 0.01), (null, 0), (null, 2), (null, double.NaN) })
        {
            var error = Assert.Throws<FaceServiceException>(() => _decisions.ForIdentify(threshold, rate, 10));
            Assert.Equal(FaceServiceError.ValidationFailed, error.Error);
            Assert.Equal("maxFalsePositiveIdentificationRate", error.Target);
        }
        Assert.Equal("threshold", Assert.Throws<FaceServiceException>(() => _decisions.ForIdentify(5f, null, 10)).Target);
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
