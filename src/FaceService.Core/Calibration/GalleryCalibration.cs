namespace FaceService.Core.Calibration;

/// <summary>
/// Rates for a search of a gallery of subjects, from a model's calibration (<see cref="CalibrationTemplates"/>,
/// <see cref="CalibrationIdentification"/>): how a face's candidates are ranked and how far each stands out
/// (<see cref="Ranking"/>), and the share of strangers whose nearest subject stands out at least as much as a given
/// candidate, at the gallery's size. Both directions are monotone and consistent:
/// <c>StrangerRate(StatisticFor(r, n), n) ≤ r</c>.
/// </summary>
public sealed class GalleryCalibration
{
    private readonly StrangerTable[] _tables;
    private readonly double[] _logSubjects;

    /// <exception cref="InvalidDataException">The sections are not a valid calibration.</exception>
    public GalleryCalibration(DistanceCalibration distances, CalibrationTemplates templates, CalibrationIdentification identification)
    {
        Distances = distances;
        for (var i = 0; i < templates.Scales.Count; i++)
            if (templates.Scales[i].Faces != i + 1) throw new InvalidDataException($"Template scale {i} is for {templates.Scales[i].Faces} faces, not {i + 1}.");
        Ranking = new CandidateRanking(distances, templates.Scales.Select(s => s.DistanceScale).ToList(), identification.Cohort);

        var tables = identification.Galleries;
        if (tables.Count == 0 || tables[0].Subjects != 1) throw new InvalidDataException("Stranger tables start at a gallery of one subject.");
        for (var i = 0; i < tables.Count; i++)
        {
            var table = tables[i];
            if (i > 0 && table.Subjects <= tables[i - 1].Subjects) throw new InvalidDataException("Stranger tables ascend by gallery size.");
            if (!(table.TailSlope > 0) || !double.IsFinite(table.TailSlope))
                throw new InvalidDataException($"Stranger table of {table.Subjects} subjects: the tail slope is positive and finite.");
            var points = table.Points;
            if (points.Count < 2 || points[^1].Rate != 1)
                throw new InvalidDataException($"Stranger table of {table.Subjects} subjects: two points at least, the last at rate 1.");
            for (var p = 0; p < points.Count; p++)
            {
                if (!double.IsFinite(points[p].Statistic) || !(points[p].Rate is > 0 and <= 1)
                    || (p > 0 && (points[p].Statistic <= points[p - 1].Statistic || points[p].Rate < points[p - 1].Rate)))
                    throw new InvalidDataException($"Stranger table of {table.Subjects} subjects, point {p}: statistics ascend, rates in (0, 1] never fall.");
            }
        }
        _tables = [.. tables];
        _logSubjects = _tables.Select(t => Math.Log(t.Subjects)).ToArray();
    }

    /// <summary>The single-face table.</summary>
    public DistanceCalibration Distances { get; }

    /// <summary>How a face's candidates are ordered and judged against each other.</summary>
    public CandidateRanking Ranking { get; }

    /// <summary>
    /// Estimated share of strangers whose nearest subject in a gallery of <paramref name="subjects"/> has a statistic at
    /// or below <paramref name="statistic"/>. Each measured gallery size answers with the highest rate that it or any
    /// larger measured size gives (a stranger's statistic tends to rise with the gallery, and each table rests on the
    /// same ~1,700 people, so the envelope keeps one noisy table from promising too little); between sizes the log-rate
    /// is interpolated in log size; beyond the largest, that table's rate holds.
    /// </summary>
    public double StrangerRate(double statistic, long subjects)
    {
        if (double.IsNaN(statistic)) throw new ArgumentException("The statistic is not a number.", nameof(statistic));
        var (lower, upper, along) = Bracket(subjects);
        var low = Math.Log(EnvelopeRate(lower, statistic));
        if (upper == lower) return Math.Exp(low);
        return Math.Exp(low + along * (Math.Log(EnvelopeRate(upper, statistic)) - low));
    }

    private double EnvelopeRate(int table, double statistic)
    {
        var rate = 0.0;
        for (var t = table; t < _tables.Length; t++) rate = Math.Max(rate, RateIn(_tables[t], statistic));
        return rate;
    }

    /// <summary>The largest statistic whose stranger rate at the gallery's size is at most <paramref name="rate"/>.</summary>
    public double StatisticFor(double rate, long subjects)
    {
        if (!(rate is > 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(rate), rate, "A rate lies in (0, 1].");
        // The rate is continuous and increasing in the statistic: bisect between a statistic below every table's
        // extrapolated tail and one above every table's last point.
        var low = _tables.Min(t => t.Points[0].Statistic + Math.Log(rate / t.Points[0].Rate) / t.TailSlope) - 1;
        var high = _tables.Max(t => t.Points[^1].Statistic);
        if (StrangerRate(high, subjects) <= rate) return high;
        for (var i = 0; i < 100 && high - low > 1e-9; i++)
        {
            var middle = (low + high) / 2;
            if (StrangerRate(middle, subjects) <= rate) low = middle;
            else high = middle;
        }
        return low;
    }

    private (int Lower, int Upper, double Along) Bracket(long subjects)
    {
        if (subjects <= _tables[0].Subjects) return (0, 0, 0);
        if (subjects >= _tables[^1].Subjects) return (_tables.Length - 1, _tables.Length - 1, 0);
        var upper = Array.FindIndex(_tables, t => t.Subjects >= subjects);
        if (_tables[upper].Subjects == subjects) return (upper, upper, 0);
        var lower = upper - 1;
        return (lower, upper, (Math.Log(subjects) - _logSubjects[lower]) / (_logSubjects[upper] - _logSubjects[lower]));
    }

    private static double RateIn(StrangerTable table, double statistic)
    {
        var points = table.Points;
        if (statistic <= points[0].Statistic) return points[0].Rate * Math.Exp(table.TailSlope * (statistic - points[0].Statistic));
        if (statistic >= points[^1].Statistic) return 1;
        var upper = 1;
        while (points[upper].Statistic < statistic) upper++;
        var (a, b) = (points[upper - 1], points[upper]);
        var along = (statistic - a.Statistic) / (b.Statistic - a.Statistic);
        return a.Rate * Math.Pow(b.Rate / a.Rate, along);
    }

    /// <exception cref="InvalidDataException">The document is not a valid calibration.</exception>
    public static GalleryCalibration From(CalibrationDocument document) =>
        new(DistanceCalibration.From(document), document.Templates, document.Identification);

    /// <summary>The gallery rates of <paramref name="modelId"/>, with <see cref="DistanceCalibration.Load(string, string)"/>'s checks.</summary>
    /// <exception cref="InvalidOperationException">No valid calibration for the model.</exception>
    public static GalleryCalibration Load(string modelsDirectory, string modelId) => DistanceCalibration.Load(modelsDirectory, modelId, From);
}
