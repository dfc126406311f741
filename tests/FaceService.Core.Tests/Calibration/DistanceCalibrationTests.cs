using System.Text.Json;
using FaceService.Core.Calibration;

namespace FaceService.Core.Tests.Calibration;

public sealed class DistanceCalibrationTests
{
    /// <summary>A small table: a rate of 0 at distance 0, four decades between 0.05 and 0.2, everything by 1.</summary>
    internal static readonly CalibrationPoint[] Points =
    [
        new(0f, 0, 0, false),
        new(0.05f, 1e-8, 0.05, false),
        new(0.1f, 1e-6, 0.4, false),
        new(0.15f, 1e-4, 0.9, true),
        new(0.2f, 1e-2, 1, true),
        new(0.4f, 0.5, 1, true),
        new(1f, 1, 1, true),
        new(4f, 1, 1, true),
    ];

    internal static DistanceCalibration Table() => new("test-model", Points, "test table");

    [Fact]
    public void Rates_at_the_table_distances_are_the_table_and_in_between_they_are_log_linear()
    {
        var table = Table();
        foreach (var p in Points) Assert.Equal(p.FalseAcceptRate, table.FalseAcceptRate(p.Distance), 12);
        // Halfway in distance between 1e-6 and 1e-4 is halfway in the exponent.
        Assert.Equal(1e-5, table.FalseAcceptRate(0.125f), 1e-9);
        // From a rate of 0 the interpolation is linear.
        Assert.Equal(0.5e-8, table.FalseAcceptRate(0.025f), 1e-12);
        Assert.Equal(1, table.FalseAcceptRate(4f));
    }

    [Fact]
    public void The_rate_never_falls_as_the_distance_grows()
    {
        var table = Table();
        var previous = 0.0;
        for (var d = 0f; d <= 4f; d += 0.0007f)
        {
            var rate = table.FalseAcceptRate(d);
            Assert.True(rate >= previous, $"FAR({d}) = {rate} < {previous}");
            previous = rate;
        }
    }

    [Theory]
    [InlineData(1e-12)]
    [InlineData(1e-8)]
    [InlineData(3e-7)]
    [InlineData(1e-5)]
    [InlineData(1e-3)]
    [InlineData(0.2)]
    [InlineData(0.999)]
    public void The_threshold_of_a_rate_is_the_largest_distance_within_it(double rate)
    {
        var table = Table();
        var threshold = table.ThresholdFor(rate);
        Assert.True(table.FalseAcceptRate(threshold) <= rate, $"FAR({threshold}) = {table.FalseAcceptRate(threshold)} > {rate}");
        Assert.True(table.FalseAcceptRate(MathF.BitIncrement(threshold)) > rate * (1 - 1e-6), "a larger threshold would also do");
        Assert.True(table.ThresholdFor(rate * 2) >= threshold);
    }

    [Fact]
    public void A_rate_of_one_accepts_everything_and_a_rate_above_distance_0_of_a_table_without_zero_gives_0()
    {
        Assert.Equal(4f, Table().ThresholdFor(1));
        var noZero = new DistanceCalibration("m", [new(0f, 1e-9, 0, false), new(4f, 1, 1, true)], "");
        Assert.Equal(0f, noZero.ThresholdFor(1e-10));
        Assert.Throws<ArgumentOutOfRangeException>(() => Table().ThresholdFor(0));
    }

    public static TheoryData<CalibrationPoint[]> InvalidTables => new()
    {
        Array.Empty<CalibrationPoint>(),
        new CalibrationPoint[] { new(0.01f, 0.1, 0, true), new(4f, 1, 1, true) },
        new CalibrationPoint[] { new(0f, 0, 0, true), new(2f, 1, 1, true) },
        new CalibrationPoint[] { new(0f, 0.1, 0, true), new(0.5f, 0.05, 0.5, true), new(4f, 1, 1, true) },
        new CalibrationPoint[] { new(0f, 0, 0.5, true), new(0.5f, 0.1, 0.2, true), new(4f, 1, 1, true) },
        new CalibrationPoint[] { new(0f, 0, 0, true), new(0.5f, 1.5, 1, true), new(4f, 1, 1, true) },
        new CalibrationPoint[] { new(0f, 0, 0, true), new(0.5f, double.NaN, 1, true), new(4f, 1, 1, true) },
        new CalibrationPoint[] { new(0f, 0, 0, true), new(0.5f, 0.1, 0.5, true), new(0.5f, 0.2, 0.5, true), new(4f, 1, 1, true) },
    };

    [Theory]
    [MemberData(nameof(InvalidTables))]
    public void A_table_that_does_not_cover_0_to_4_or_whose_rates_fall_or_leave_0_to_1_is_refused(CalibrationPoint[] points) =>
        Assert.Throws<InvalidDataException>(() => new DistanceCalibration("m", points, ""));

    [Fact]
    public void A_calibration_is_loaded_for_its_own_model_only()
    {
        var models = Directory.CreateTempSubdirectory("calibration-test").FullName;
        try
        {
            var missing = Assert.Throws<InvalidOperationException>(() => DistanceCalibration.Load(models, "model-a"));
            Assert.Contains("model-a", missing.Message);
            Assert.Contains("calibrate", missing.Message);

            Directory.CreateDirectory(Path.Combine(models, "calibration"));
            File.WriteAllText(DistanceCalibration.FileFor(models, "model-a"), JsonSerializer.Serialize(Document("model-a"), CalibrationDocument.Json));
            var loaded = DistanceCalibration.Load(models, "model-a");
            Assert.Equal("model-a", loaded.ModelId);
            Assert.Equal(Table().ThresholdFor(1e-5), loaded.ThresholdFor(1e-5));

            // A file under the right name that describes another model is refused, not used.
            File.WriteAllText(DistanceCalibration.FileFor(models, "model-b"), JsonSerializer.Serialize(Document("model-a"), CalibrationDocument.Json));
            var other = Assert.Throws<InvalidOperationException>(() => DistanceCalibration.Load(models, "model-b"));
            Assert.Contains("describes model model-a, not model-b", other.Message);

            File.WriteAllText(DistanceCalibration.FileFor(models, "model-c"), """{"format": 1, "modelId": "model-c"}""");
            Assert.Throws<InvalidOperationException>(() => DistanceCalibration.Load(models, "model-c"));
            File.WriteAllText(DistanceCalibration.FileFor(models, "model-d"),
                JsonSerializer.Serialize(Document("model-d") with { Format = 3 }, CalibrationDocument.Json));
            Assert.Contains("format 3", Assert.Throws<InvalidOperationException>(() => DistanceCalibration.Load(models, "model-d")).Message);
            // A format-1 file (no template or identification sections) says so, rather than naming a missing field.
            File.WriteAllText(DistanceCalibration.FileFor(models, "model-e"), """{"format": 1, "modelId": "model-e", "points": []}""");
            Assert.Contains("format 1", Assert.Throws<InvalidOperationException>(() => GalleryCalibration.Load(models, "model-e")).Message);

            var gallery = GalleryCalibration.Load(models, "model-a");
            Assert.Equal(GalleryCalibrationTests.Cohort, gallery.Ranking.Cohort);
        }
        finally
        {
            Directory.Delete(models, recursive: true);
        }
    }

    private static CalibrationDocument Document(string modelId) => new(CalibrationDocument.CurrentFormat, modelId,
        new CalibrationProvenance(DateTimeOffset.UnixEpoch, "test", "test"),
        new CalibrationData("test", 10, 0, 5, 45, 5),
        new CalibrationTail("power law", 10, 0.15f, 10, 0.15f, 5),
        [], Points, GalleryCalibrationTests.Templates, GalleryCalibrationTests.Identification);
}
