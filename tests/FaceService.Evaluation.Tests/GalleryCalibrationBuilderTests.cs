using FaceService.Core.Calibration;

namespace FaceService.Evaluation.Tests;

/// <summary>The gallery sections of a calibration, measured on synthetic people (real ones: bench calibrate).</summary>
public sealed class GalleryCalibrationBuilderTests
{
    /// <summary>People as random directions, each photo a noisy copy: a few with many photos, most with one.</summary>
    private static List<LabelledPerson> People(int count, int seed)
    {
        var faces = new SyntheticFaces(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            var centre = faces.NewSubject();
            var photos = i % 10 == 0 ? 25 : 1;
            return new LabelledPerson($"p{i}", Enumerable.Range(0, photos).Select(_ => faces.CodeNear(centre)).ToList());
        }).ToList();
    }

    private static readonly DistanceCalibration Distances = new("m",
        [new(0f, 0, 0, false), new(0.2f, 1e-8, 0.5, false), new(0.6f, 1e-3, 1, true), new(1f, 0.5, 1, true), new(2f, 1, 1, true), new(4f, 1, 1, true)], "test");

    [Fact]
    public void Templates_read_as_farther_single_faces_the_more_faces_they_hold()
    {
        var templates = GalleryCalibrationBuilder.MeasureTemplates(People(400, 1), "synthetic", seed: 1);
        Assert.Equal(1, templates.Scales[0].DistanceScale);
        Assert.Equal(Enumerable.Range(1, templates.Scales.Count), templates.Scales.Select(s => s.Faces));
        // Forty people have 25 photos: sizes up to 20 are measured.
        Assert.Equal(GalleryCalibrationBuilder.MaxTemplateFaces, templates.Scales.Count);
        Assert.True(templates.Scales[2].DistanceScale > 1, $"3 faces: {templates.Scales[2].DistanceScale}");
        for (var i = 1; i < templates.Scales.Count; i++) Assert.True(templates.Scales[i].DistanceScale >= templates.Scales[i - 1].DistanceScale);
    }

    [Fact]
    public void Stranger_tables_cover_the_gallery_sizes_the_people_allow_and_hold_the_service_to_them()
    {
        var people = People(500, 2);
        var ranking = new CandidateRanking(Distances, [1.0], GalleryCalibrationBuilder.Cohort);
        var tables = GalleryCalibrationBuilder.BuildStrangerTables(people, ranking, seed: 1, searchesPerSize: 2000);
        Assert.Equal([1, 2, 3, 5, 10, 20, 50, 100, 200, 300], tables.Select(t => t.Subjects));
        Assert.All(tables, t =>
        {
            Assert.True(t.Searches >= 2000);
            Assert.Equal(1, t.Points[^1].Rate);
            Assert.True(t.TailSlope > 0);
        });
        // Each table is accepted by the service and reproduces its own rates (stated one standard error high).
        var gallery = new GalleryCalibration(Distances, new CalibrationTemplates("t", [new TemplateScale(1, 1, 1, 1)]),
            new CalibrationIdentification("t", GalleryCalibrationBuilder.Cohort, tables, []));
        Assert.InRange(gallery.StrangerRate(tables[6].Points[0].Statistic, 50), tables[6].Points[0].Rate, 1);
    }

    [Fact]
    public void A_table_states_its_rates_one_standard_error_high_and_ends_at_rate_1()
    {
        var measured = Enumerable.Range(0, 10_000).Select(i => -10 + i / 1000.0).ToList();
        var table = GalleryCalibrationBuilder.StrangerTableFor(100, measured, people: 10_000);
        var atOnePercent = table.Points.Single(p => Math.Abs(p.Statistic - -9.901) < 1e-9);
        Assert.InRange(atOnePercent.Rate, 0.01, 0.01 + 2 * Math.Sqrt(0.01 * 0.99 / 10_000));
        Assert.Equal((measured.Max(), 1.0), (table.Points[^1].Statistic, table.Points[^1].Rate));
        Assert.Equal(10_000, table.Searches);
    }
}
