using FaceService.Core.Calibration;
using FaceService.Core.Storage;

namespace FaceService.Core.Tests.Calibration;

public sealed class GalleryCalibrationTests
{
    internal const int Cohort = 5;

    /// <summary>Templates of 2 faces read 1.1 times their distance, of 3 or more 1.2 times.</summary>
    internal static readonly CalibrationTemplates Templates = new("test",
        [new TemplateScale(1, 1, 10, 100), new TemplateScale(2, 1.1, 10, 100), new TemplateScale(3, 1.2, 10, 100)]);

    /// <summary>
    /// One subject: the stranger rate of a statistic is its false-accept rate, e^statistic (e^−4.6 ≈ 1 %). A hundred
    /// subjects: 1 % at −4, 10 % at −2. A thousand: 1 % at −3, and 20 % at −2, above the hundred's there.
    /// </summary>
    internal static readonly CalibrationIdentification Identification = new("test", Cohort,
    [
        new StrangerTable(1, 1000, 1, [new(-6.9, 1e-3), new(-4.6, 1e-2), new(-2.3, 0.1), new(0, 1)]),
        new StrangerTable(100, 1000, 1, [new(-6, 1e-3), new(-4, 1e-2), new(-2, 0.1), new(0, 1)]),
        new StrangerTable(1000, 1000, 2, [new(-4, 1e-3), new(-3, 1e-2), new(-2, 0.2), new(0, 1)]),
    ], []);

    internal static GalleryCalibration Gallery() => new(DistanceCalibrationTests.Table(), Templates, Identification);

    [Fact]
    public void Stranger_rates_are_the_tables_at_their_sizes_and_interpolated_in_log_size_between()
    {
        var gallery = Gallery();
        Assert.Equal(1e-2, gallery.StrangerRate(-4, 100), 12);
        Assert.Equal(1e-2, gallery.StrangerRate(-3, 1000), 12);
        Assert.Equal(1e-3, gallery.StrangerRate(-4, 1000), 12);
        // Halfway between 1 and 100 subjects (10) is halfway in log-rate between the two tables' rates.
        var at1 = gallery.StrangerRate(-4.6, 1);
        Assert.Equal(Math.Sqrt(at1 * gallery.StrangerRate(-4.6, 100)), gallery.StrangerRate(-4.6, 10), 12);
        // Beyond the largest table its rates hold; an empty gallery answers as one subject.
        Assert.Equal(gallery.StrangerRate(-3.5, 1000), gallery.StrangerRate(-3.5, 1_000_000));
        Assert.Equal(gallery.StrangerRate(-5, 1), gallery.StrangerRate(-5, 0));
        // Below the lowest point the tail falls by e^(slope · Δ); above the last, every stranger.
        Assert.Equal(1e-3 * Math.Exp(2 * (-6 - -4)), gallery.StrangerRate(-6, 1000), 12);
        Assert.Equal(1, gallery.StrangerRate(0.5, 100));
    }

    /// <summary>A smaller gallery never promises fewer strangers than a larger measured one: the tables' envelope.</summary>
    [Fact]
    public void A_smaller_gallery_takes_a_larger_ones_rate_where_that_is_higher()
    {
        var gallery = Gallery();
        // At −3.5 the hundred table says ~1.8 %, the thousand table ~0.3 %: the larger one does not lower the smaller's.
        Assert.Equal(1e-2 * Math.Pow(10, 0.25), gallery.StrangerRate(-3.5, 100), 12);
        Assert.True(gallery.StrangerRate(-3.5, 1000) < 4e-3);
        // At −2 the thousand table (20 %) is above the hundred table (10 %): a gallery of 100 answers 20 %.
        Assert.Equal(0.2, gallery.StrangerRate(-2, 100), 12);
        Assert.Equal(0.2, gallery.StrangerRate(-2, 1000), 12);
    }

    [Theory]
    [InlineData(1e-6, 1)]
    [InlineData(1e-3, 10)]
    [InlineData(1e-2, 100)]
    [InlineData(0.05, 300)]
    [InlineData(0.5, 5000)]
    public void The_statistic_of_a_rate_is_the_largest_within_it(double rate, long subjects)
    {
        var gallery = Gallery();
        var limit = gallery.StatisticFor(rate, subjects);
        Assert.True(gallery.StrangerRate(limit, subjects) <= rate * (1 + 1e-12));
        Assert.True(gallery.StrangerRate(limit + 1e-6, subjects) > rate * (1 - 1e-4));
    }

    [Fact]
    public void Rates_never_fall_as_the_statistic_grows()
    {
        var gallery = Gallery();
        foreach (var subjects in new long[] { 1, 3, 50, 100, 400, 1000, 20_000 })
        {
            var previous = 0.0;
            for (var t = -12.0; t <= 1; t += 0.01)
            {
                var rate = gallery.StrangerRate(t, subjects);
                Assert.True(rate >= previous, $"{subjects} subjects: rate({t}) = {rate} < {previous}");
                previous = rate;
            }
        }
    }

    public static TheoryData<CalibrationTemplates, CalibrationIdentification> InvalidSections => new()
    {
        { Templates with { Scales = [] }, Identification },
        { Templates with { Scales = [new TemplateScale(1, 1.1, 1, 1)] }, Identification },
        { Templates with { Scales = [new TemplateScale(1, 1, 1, 1), new TemplateScale(3, 1.1, 1, 1)] }, Identification },
        { Templates with { Scales = [new TemplateScale(1, 1, 1, 1), new TemplateScale(2, 0.9, 1, 1)] }, Identification },
        { Templates, Identification with { Cohort = 1 } },
        { Templates, Identification with { Galleries = [] } },
        { Templates, Identification with { Galleries = [Identification.Galleries[1]] } },
        { Templates, Identification with { Galleries = [Identification.Galleries[0], Identification.Galleries[0]] } },
        { Templates, Identification with { Galleries = [Identification.Galleries[0] with { TailSlope = 0 }] } },
        { Templates, Identification with { Galleries = [Identification.Galleries[0] with { Points = [new(-1, 0.5), new(0, 0.9)] }] } },
        { Templates, Identification with { Galleries = [Identification.Galleries[0] with { Points = [new(-1, 0.5), new(-2, 0.6), new(0, 1)] }] } },
        { Templates, Identification with { Galleries = [Identification.Galleries[0] with { Points = [new(-1, 0.5), new(-0.5, 0.4), new(0, 1)] }] } },
    };

    [Theory]
    [MemberData(nameof(InvalidSections))]
    public void Sections_that_break_the_rules_are_refused(CalibrationTemplates templates, CalibrationIdentification identification) =>
        Assert.Throws<InvalidDataException>(() => new GalleryCalibration(DistanceCalibrationTests.Table(), templates, identification));

    [Fact]
    public void A_template_distance_reads_as_a_longer_single_face_distance()
    {
        var ranking = Gallery().Ranking;
        Assert.Equal(1, ranking.DistanceScale(1));
        Assert.Equal(1.1, ranking.DistanceScale(2));
        Assert.Equal(1.2, ranking.DistanceScale(3));
        Assert.Equal(1.2, ranking.DistanceScale(50));
        Assert.Equal(DistanceCalibrationTests.Table().FalseAcceptRate(0.1f * 1.2f), ranking.FalseAcceptRate(0.1f, 3), 1e-10);
        Assert.Throws<ArgumentOutOfRangeException>(() => ranking.DistanceScale(0));
    }

    /// <summary>
    /// s = ln FAR(template-scaled distance); a candidate's statistic is its s minus the mean s of the four surest others,
    /// a missing other counting as 0.
    /// </summary>
    [Fact]
    public void A_candidate_is_judged_by_how_far_it_stands_out_from_the_surest_others()
    {
        var table = DistanceCalibrationTests.Table();
        var ranking = Gallery().Ranking;
        SubjectMatch[] nearest = [new("ann", 1, 0.10f), new("bob", 3, 0.095f), new("cy", 1, 0.15f), new("dee", 1, 0.2f), new("eve", 1, 0.4f), new("fay", 1, 1f)];
        var ranked = ranking.Rank(nearest);
        // Bob's template at 0.095 reads as 0.114: behind Ann's single face at 0.10.
        Assert.Equal(["ann", "bob", "cy", "dee", "eve", "fay"], ranked.Select(r => r.Match.Subject));
        var s = new[] { 0.1f, 0.114f, 0.15f, 0.2f, 0.4f, 1f }.Select(d => Math.Log(table.FalseAcceptRate(d))).ToArray();
        Assert.Equal(s[0] - (s[1] + s[2] + s[3] + s[4]) / 4, ranked[0].Statistic, 6);
        Assert.Equal(s[1] - (s[0] + s[2] + s[3] + s[4]) / 4, ranked[1].Statistic, 6);
        Assert.Equal(s[5] - (s[0] + s[1] + s[2] + s[3]) / 4, ranked[5].Statistic, 6);

        // Two subjects: the three missing others count as rates of 1.
        var two = ranking.Rank([new("ann", 1, 0.1f), new("bob", 1, 0.2f)]);
        Assert.Equal(Math.Log(1e-6) - Math.Log(1e-2) / 4, two[0].Statistic, 9);
        Assert.Empty(ranking.Rank([]));
        // Identical faces (rate 0) rank first with a finite statistic.
        Assert.True(double.IsFinite(ranking.Rank([new("ann", 1, 0f), new("bob", 1, 0.2f)])[0].Statistic));
    }

    [Fact]
    public void Identify_fetches_the_cohort_and_as_many_again_within_the_stores_limit()
    {
        var ranking = Gallery().Ranking;
        Assert.Equal(10, ranking.CandidatesToFetch(1));
        Assert.Equal(10, ranking.CandidatesToFetch(5));
        Assert.Equal(25, ranking.CandidatesToFetch(20));
        Assert.Equal(StoreLimits.MaxK, ranking.CandidatesToFetch(StoreLimits.MaxK));
    }
}
