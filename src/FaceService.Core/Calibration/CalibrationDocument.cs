using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaceService.Core.Calibration;

/// <summary>
/// A calibration as stored in <c>models/calibration/&lt;model id&gt;.json</c>: for one embedding model, the estimated
/// false-accept rate (share of different-person pairs at or below a squared distance) and true-accept rate (share of
/// same-person pairs) at a grid of distances, with what they were measured on. Written by <c>bench calibrate</c>,
/// read by the service at start-up (<see cref="DistanceCalibration"/>).
/// </summary>
/// <param name="Format">Version of this layout; readers refuse others.</param>
/// <param name="ModelId">The embedding space it describes (FaceModelId): a calibration is valid for that model only.</param>
/// <param name="Points">Ascending distances from 0 to 4; rates non-decreasing.</param>
/// <param name="TailCheck">The tail model tested against pairs it was not fitted on.</param>
public sealed record CalibrationDocument(
    int Format,
    string ModelId,
    CalibrationProvenance Provenance,
    CalibrationData Data,
    CalibrationTail Tail,
    IReadOnlyList<CalibrationCheck> TailCheck,
    IReadOnlyList<CalibrationPoint> Points)
{
    public const int CurrentFormat = 1;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        // Model ids and settings hold '+' and '→'; the file is data, not HTML, so they are written as they are.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = JsonNumberHandling.Strict,
        // A file missing a field, or with null where a value belongs, is refused rather than half read.
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };
}

/// <param name="Command">The command that regenerates the file.</param>
/// <param name="Pipeline">The inference settings the photos were embedded with.</param>
public sealed record CalibrationProvenance(DateTimeOffset CreatedAt, string Command, string Pipeline);

/// <param name="Sets">The labelled photo sets, e.g. "lfw-dev + faces".</param>
/// <param name="PhotosWithoutFace">Photos that gave no face (left out of every pair).</param>
/// <param name="People">People with at least one face.</param>
/// <param name="DifferentPersonPairs">Pairs behind the false-accept rates.</param>
/// <param name="SamePersonPairs">Pairs behind the true-accept rates.</param>
public sealed record CalibrationData(string Sets, int Photos, int PhotosWithoutFace, int People, long DifferentPersonPairs, long SamePersonPairs);

/// <summary>
/// How the false-accept rate is estimated below the distances the pairs measure well: at distances d under
/// <see cref="MeasuredFrom"/> (where fewer than <see cref="MinimumMeasuredPairs"/> different-person pairs lie) the rate
/// is the measured rate at <see cref="MeasuredFrom"/> times (d / MeasuredFrom)^<see cref="Exponent"/>: a power-law
/// lower tail, its exponent the maximum-likelihood (Hill) fit to the <see cref="FittedPairs"/> closest different-person
/// pairs (all below <see cref="FittedBelow"/>).
/// </summary>
public sealed record CalibrationTail(string Model, int FittedPairs, float FittedBelow, double Exponent, float MeasuredFrom, int MinimumMeasuredPairs);

/// <summary>
/// A check of the tail against pairs it was not fitted on: a table built from the pairs among a random part of the
/// people sets the threshold for <see cref="TargetRate"/>; the other different-person pairs say what rate it really gives.
/// </summary>
/// <param name="Splits">Random splits of the people averaged over.</param>
/// <param name="FittedPairs">Different-person pairs per split's table (mean).</param>
/// <param name="HeldOutPairs">Different-person pairs per split not used for its table (mean).</param>
/// <param name="Extrapolated">Whether the split tables reach the target rate by the tail rather than by measurement.</param>
/// <param name="HeldOutRate">Share of the held-out pairs accepted at the split tables' thresholds (pooled over splits).</param>
/// <param name="HeldOutAccepted">Held-out pairs accepted, summed over the splits.</param>
/// <param name="ExpectedAccepted">What the split tables predicted for them, summed.</param>
public sealed record CalibrationCheck(double TargetRate, int Splits, long FittedPairs, long HeldOutPairs, bool Extrapolated,
    double HeldOutRate, long HeldOutAccepted, double ExpectedAccepted);

/// <param name="Distance">Squared L2 distance between unit embeddings (0..4).</param>
/// <param name="FalseAcceptRate">Estimated share of different-person pairs at or below the distance.</param>
/// <param name="TrueAcceptRate">Measured share of same-person pairs at or below the distance.</param>
/// <param name="Measured">False where the false-accept rate comes from the tail model.</param>
public sealed record CalibrationPoint(float Distance, double FalseAcceptRate, double TrueAcceptRate, bool Measured);
