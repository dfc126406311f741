using FaceService.Core.Calibration;

namespace FaceService.Core.Tests.Calibration;

public sealed class GalleryRatesTests
{
    [Theory]
    [InlineData(0.01, 1)]
    [InlineData(1e-3, 10)]
    [InlineData(1e-6, 1_000)]
    [InlineData(1e-9, 1_000_000)]
    [InlineData(0.3, 100)]
    public void The_gallery_rate_is_one_minus_the_chance_that_every_comparison_rejects(double falseAcceptRate, long faces)
    {
        // The naive formula is good to ~1e-10 for these rates.
        Assert.Equal(1 - Math.Pow(1 - falseAcceptRate, faces), GalleryRates.FalsePositiveIdentificationRate(falseAcceptRate, faces), 1e-9);
    }

    [Fact]
    public void Tiny_rates_keep_their_precision_where_the_naive_formula_loses_it()
    {
        // 1 − (1 − 1e-15)^1000 is 1e-12 to twelve digits; in doubles (1 − 1e-15)^1000 is off by 10 %.
        Assert.Equal(1e-12, GalleryRates.FalsePositiveIdentificationRate(1e-15, 1000), 1e-20);
        Assert.Equal(1e-15, GalleryRates.FalseAcceptRateFor(1e-12, 1000), 1e-23);
    }

    [Theory]
    [InlineData(0.01, 1)]
    [InlineData(0.01, 1_944)]
    [InlineData(0.001, 1_000_000)]
    [InlineData(0.5, 7)]
    public void The_per_comparison_rate_for_a_gallery_rate_inverts_it(double fpir, long faces)
    {
        var perComparison = GalleryRates.FalseAcceptRateFor(fpir, faces);
        Assert.Equal(fpir, GalleryRates.FalsePositiveIdentificationRate(perComparison, faces), fpir * 1e-9);
        // A larger gallery needs a smaller per-comparison rate for the same share of strangers.
        Assert.True(GalleryRates.FalseAcceptRateFor(fpir, faces * 10) < perComparison);
    }

    [Fact]
    public void Edge_cases_empty_gallery_and_certain_rates()
    {
        Assert.Equal(0, GalleryRates.FalsePositiveIdentificationRate(0.5, 0));
        Assert.Equal(0, GalleryRates.FalsePositiveIdentificationRate(0, 1000));
        Assert.Equal(1, GalleryRates.FalsePositiveIdentificationRate(1, 3));
        Assert.Equal(1, GalleryRates.FalseAcceptRateFor(1, 1000));
        // An empty gallery is treated as one face when setting a threshold.
        Assert.Equal(0.01, GalleryRates.FalseAcceptRateFor(0.01, 0), 1e-15);
        Assert.Throws<ArgumentOutOfRangeException>(() => GalleryRates.FalseAcceptRateFor(0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => GalleryRates.FalsePositiveIdentificationRate(1.5, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => GalleryRates.FalsePositiveIdentificationRate(0.1, -1));
    }
}
