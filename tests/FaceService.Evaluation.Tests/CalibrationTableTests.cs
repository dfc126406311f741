using FaceService.Core.Calibration;

namespace FaceService.Evaluation.Tests;

/// <summary>
/// The table on synthetic distances with a known lower tail: P(D ≤ d) = (d / 0.5)^10 on [0, 0.5], a power law like the
/// one lfw-dev's different-person pairs follow below 0.2.
/// </summary>
public sealed class CalibrationTableTests
{
    private const double Exponent = 10;
    private const double Top = 0.5;

    private static double TrueRate(double d) => Math.Pow(Math.Min(d, Top) / Top, Exponent);

    private static float[] Sample(int n, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(Top * Math.Pow(random.NextDouble(), 1 / Exponent))).ToArray();
    }

    private static readonly DistanceDistribution SamePerson = new([0.05f, 0.08f, 0.1f, 0.12f, 0.3f]);

    [Fact]
    public void Measured_where_the_pairs_are_many_a_fitted_power_law_below_and_monotone_throughout()
    {
        var different = new DistanceDistribution(Sample(200_000, 1));
        var (tail, points) = CalibrationTable.Build(different, SamePerson);

        Assert.Equal(CalibrationTable.TailModel, tail.Model);
        Assert.InRange(tail.Exponent, Exponent * 0.9, Exponent * 1.1);
        Assert.Equal(CalibrationTable.MinimumMeasuredPairs, tail.MinimumMeasuredPairs);
        Assert.True(different.CountAtOrBelow(tail.MeasuredFrom) >= CalibrationTable.MinimumMeasuredPairs);
        Assert.True(different.CountAtOrBelow(tail.MeasuredFrom - (float)CalibrationTable.GridStep) < CalibrationTable.MinimumMeasuredPairs);
        Assert.Equal(different.Sorted[CalibrationTable.TailFittedPairs], tail.FittedBelow);

        Assert.Equal((0f, 0.0), (points[0].Distance, points[0].FalseAcceptRate));
        Assert.Equal((4f, 1.0, 1.0), (points[^1].Distance, points[^1].FalseAcceptRate, points[^1].TrueAcceptRate));
        foreach (var p in points.Where(p => p.Distance >= tail.MeasuredFrom))
        {
            Assert.True(p.Measured);
            Assert.Equal(different.ShareAtOrBelow(p.Distance), p.FalseAcceptRate);
        }
        foreach (var p in points.Where(p => p.Distance < tail.MeasuredFrom))
        {
            Assert.False(p.Measured);
            Assert.Equal(different.ShareAtOrBelow(tail.MeasuredFrom) * Math.Pow(p.Distance / tail.MeasuredFrom, tail.Exponent), p.FalseAcceptRate, 1e-15);
        }
        for (var i = 1; i < points.Count; i++)
        {
            Assert.True(points[i].FalseAcceptRate >= points[i - 1].FalseAcceptRate);
            Assert.True(points[i].TrueAcceptRate >= points[i - 1].TrueAcceptRate);
        }
        // The service reads it: a valid table.
        Assert.Equal(4f, new DistanceCalibration("m", points, "").ThresholdFor(1));
    }

    [Theory]
    [InlineData(1e-5)]
    [InlineData(1e-7)]
    [InlineData(1e-9)]
    public void Extrapolated_rates_follow_the_true_tail_decades_below_the_data(double rate)
    {
        var different = new DistanceDistribution(Sample(200_000, 2));
        var (tail, points) = CalibrationTable.Build(different, SamePerson);
        var table = new DistanceCalibration("m", points, "");
        var threshold = table.ThresholdFor(rate);
        Assert.True(threshold < tail.MeasuredFrom, "the rate lies in the extrapolated range");
        Assert.InRange(TrueRate(threshold), rate / 2, rate * 2);
    }

    [Fact]
    public void Too_few_pairs_for_the_tail_fit_are_refused() =>
        Assert.Throws<ArgumentException>(() => CalibrationTable.Build(new DistanceDistribution(Sample(CalibrationTable.TailFittedPairs, 3)), SamePerson));

    [Fact]
    public void The_tail_check_finds_held_out_rates_near_their_targets_on_data_that_follows_the_model()
    {
        var random = new Random(4);
        const int people = 900;
        // As many pairs as lfw-dev has, so that a few tens of held-out pairs lie below the thresholds checked.
        var pairs = Sample(1_200_000, 5).Select(d =>
        {
            var a = random.Next(people);
            return new PersonPair(a, (a + 1 + random.Next(people - 1)) % people, d);
        }).ToList();

        var checks = CalibrationTable.CheckTail(pairs, SamePerson, people, [1e-4, 3e-5], splits: 3, seed: 6);

        Assert.Equal(2, checks.Count);
        foreach (var check in checks)
        {
            Assert.Equal(3, check.Splits);
            Assert.Equal(pairs.Count, check.FittedPairs + check.HeldOutPairs, pairs.Count / 100.0);
            Assert.True(check.Extrapolated);
            // A ninth of the pairs measures rates down to ~7e-4: both targets are extrapolated.
            Assert.InRange(check.HeldOutRate, check.TargetRate / 2, check.TargetRate * 2);
            Assert.InRange(check.ExpectedAccepted, check.HeldOutAccepted / 2.0 - 3, check.HeldOutAccepted * 2.0 + 3);
        }
    }
}
