using System.Text.Json;

namespace FaceService.Core.Calibration;

/// <summary>
/// The false-accept rate of a squared distance and the distance of a false-accept rate, for one embedding model, from
/// its <see cref="CalibrationDocument"/>. Between the table's distances the rate is interpolated linearly in its
/// logarithm (the rates span many decades; linearly from a rate of 0), so both directions are monotone: a larger
/// distance never has a smaller rate, and <c>FalseAcceptRate(ThresholdFor(r)) ≤ r</c>.
/// </summary>
public sealed class DistanceCalibration
{
    private readonly float[] _distances;
    private readonly double[] _rates;

    /// <param name="description">What the table rests on, for logs.</param>
    /// <exception cref="InvalidDataException">The table is not a valid calibration.</exception>
    public DistanceCalibration(string modelId, IReadOnlyList<CalibrationPoint> points, string description)
    {
        if (string.IsNullOrEmpty(modelId)) throw new InvalidDataException("The calibration names no model id.");
        ModelId = modelId;
        Description = description;
        if (points.Count < 2 || points[0].Distance != 0 || points[^1].Distance != 4)
            throw new InvalidDataException("A calibration's distances run from 0 to 4.");
        for (var i = 0; i < points.Count; i++)
        {
            var p = points[i];
            if (!(p.FalseAcceptRate is >= 0 and <= 1) || !(p.TrueAcceptRate is >= 0 and <= 1))
                throw new InvalidDataException($"Calibration point {i} (distance {p.Distance}): rates lie in [0, 1].");
            if (i > 0 && (p.Distance <= points[i - 1].Distance || p.FalseAcceptRate < points[i - 1].FalseAcceptRate
                                                               || p.TrueAcceptRate < points[i - 1].TrueAcceptRate))
                throw new InvalidDataException($"Calibration point {i} (distance {p.Distance}): distances ascend and rates never fall.");
        }
        _distances = points.Select(p => p.Distance).ToArray();
        _rates = points.Select(p => p.FalseAcceptRate).ToArray();
    }

    public string ModelId { get; }

    public string Description { get; }

    /// <summary>Estimated share of different-person pairs at or below <paramref name="distance"/> (0..4).</summary>
    public double FalseAcceptRate(float distance)
    {
        if (float.IsNaN(distance)) throw new ArgumentException("The distance is not a number.", nameof(distance));
        if (distance <= 0) return _rates[0];
        if (distance >= 4) return _rates[^1];
        var i = Array.BinarySearch(_distances, distance);
        if (i >= 0) return _rates[i];
        var upper = ~i;
        var lower = upper - 1;
        var along = (double)(distance - _distances[lower]) / (_distances[upper] - _distances[lower]);
        return _rates[lower] == 0 ? along * _rates[upper] : _rates[lower] * Math.Pow(_rates[upper] / _rates[lower], along);
    }

    /// <summary>
    /// The largest distance whose false-accept rate is at most <paramref name="rate"/>; 0 (only identical faces) when
    /// even distance 0 has a larger rate than asked (a table whose rate at 0 is not 0).
    /// </summary>
    public float ThresholdFor(double rate)
    {
        if (!(rate > 0)) throw new ArgumentOutOfRangeException(nameof(rate), rate, "A rate is greater than 0.");
        if (rate < _rates[0]) return 0;
        // The last point whose rate is within the target: the threshold lies between it and the next.
        var lower = Array.FindLastIndex(_rates, r => r <= rate);
        if (lower == _rates.Length - 1) return _distances[^1];
        var upper = lower + 1;
        var along = _rates[lower] == 0 ? rate / _rates[upper] : Math.Log(rate / _rates[lower]) / Math.Log(_rates[upper] / _rates[lower]);
        var threshold = (float)(_distances[lower] + along * (_distances[upper] - _distances[lower]));
        // Float rounding may land a hair above the rate; step down to the largest float that is not.
        while (threshold > _distances[lower] && FalseAcceptRate(threshold) > rate) threshold = MathF.BitDecrement(threshold);
        return Math.Max(threshold, _distances[lower]);
    }

    /// <exception cref="InvalidDataException">The document is not a valid calibration.</exception>
    public static DistanceCalibration From(CalibrationDocument document)
    {
        if (document.Format != CalibrationDocument.CurrentFormat)
            throw new InvalidDataException($"Calibration format {document.Format}; this build reads format {CalibrationDocument.CurrentFormat}.");
        var (data, tail) = (document.Data, document.Tail);
        return new DistanceCalibration(document.ModelId, document.Points,
            $"{data.DifferentPersonPairs} different-person and {data.SamePersonPairs} same-person pairs of {data.Sets}, " +
            $"created {document.Provenance.CreatedAt:yyyy-MM-dd}; false-accept rates measured from distance {tail.MeasuredFrom}, " +
            $"{tail.Model} tail below");
    }

    /// <exception cref="InvalidDataException">The file is not a valid calibration.</exception>
    public static DistanceCalibration Read(string file) => From(ReadDocument(file));

    /// <exception cref="InvalidDataException">The file is not a calibration document.</exception>
    internal static CalibrationDocument ReadDocument(string file)
    {
        CalibrationDocument? document;
        try
        {
            var text = File.ReadAllText(file);
            // The format first: a document of another format lacks fields this build requires, or has others.
            using (var peek = JsonDocument.Parse(text))
            {
                if (peek.RootElement.ValueKind == JsonValueKind.Object && peek.RootElement.TryGetProperty("format", out var format)
                    && format.TryGetInt32(out var number) && number != CalibrationDocument.CurrentFormat)
                    throw new InvalidDataException($"Calibration format {number}; this build reads format {CalibrationDocument.CurrentFormat}.");
            }
            document = JsonSerializer.Deserialize<CalibrationDocument>(text, CalibrationDocument.Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file} is not a calibration: {e.Message}", e);
        }
        return document ?? throw new InvalidDataException($"{file} is empty.");
    }

    /// <summary>Where the calibration of <paramref name="modelId"/> lives in a models folder.</summary>
    public static string FileFor(string modelsDirectory, string modelId) =>
        Path.Combine(modelsDirectory, "calibration", modelId + ".json");

    /// <summary>
    /// The calibration of <paramref name="modelId"/> from <paramref name="modelsDirectory"/>. A missing file, or one that
    /// describes another model, is an error: its rates would be wrong for every answer.
    /// </summary>
    /// <exception cref="InvalidOperationException">No valid calibration for the model.</exception>
    public static DistanceCalibration Load(string modelsDirectory, string modelId) => Load(modelsDirectory, modelId, From);

    /// <summary>The document of <paramref name="modelId"/> read as <typeparamref name="T"/>, with <see cref="Load(string, string)"/>'s checks.</summary>
    internal static T Load<T>(string modelsDirectory, string modelId, Func<CalibrationDocument, T> read)
    {
        var file = FileFor(modelsDirectory, modelId);
        const string regenerate = "Generate it with `dotnet run -c Release --project src/FaceService.Bench -- calibrate` " +
                                  "(models/README.md, Calibration).";
        if (!File.Exists(file))
        {
            var present = Directory.Exists(Path.GetDirectoryName(file))
                ? string.Join(", ", Directory.EnumerateFiles(Path.GetDirectoryName(file)!, "*.json").Select(Path.GetFileNameWithoutExtension).Order())
                : "";
            throw new InvalidOperationException(
                $"No calibration for model {modelId}: {file} does not exist (calibrations present: {(present.Length > 0 ? present : "none")}). " +
                "Thresholds are set by false-accept rate, so the service cannot decide without one. " + regenerate);
        }
        CalibrationDocument document;
        T calibration;
        try
        {
            document = ReadDocument(file);
            calibration = read(document);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidOperationException($"The calibration {file} is invalid: {e.Message} {regenerate}", e);
        }
        if (document.ModelId != modelId)
            throw new InvalidOperationException(
                $"The calibration {file} describes model {document.ModelId}, not {modelId}: its rates would be wrong. {regenerate}");
        return calibration;
    }
}
