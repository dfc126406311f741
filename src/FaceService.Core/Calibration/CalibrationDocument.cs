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
/// <param name="Templates">How a subject of several faces, compared as one normalised mean, is placed on the same scale.</param>
/// <param name="Identification">How exceptional a gallery's nearest subject is for a stranger, by gallery size.</param>
public sealed record CalibrationDocument(
    int Format,
    string ModelId,
    CalibrationProvenance Provenance,
    CalibrationData Data,
    CalibrationTail Tail,
    IReadOnlyList<CalibrationCheck> TailCheck,
    IReadOnlyList<CalibrationPoint> Points,
    CalibrationTemplates Templates,
    CalibrationIdentification Identification)
{
    /// <summary>2: templates and identification added (format 1 had the distance table only).</summary>
    public const int CurrentFormat = 2;

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

/// <summary>
/// Subjects compared as templates: the normalised mean of a subject's faces is nearer to its own new photos than any
/// one of them, and also a little nearer to everyone else. A template of m faces at distance d is as likely to be a
/// stranger as one face at d · <see cref="TemplateScale.DistanceScale"/>: the ratio of the distances at which single
/// faces and m-face templates reach the same false-accept rate, measured in the tail (rates 1e-2 to 1e-4).
/// </summary>
/// <param name="Sets">The photo sets the templates were drawn from.</param>
/// <param name="Scales">One entry per template size from 1 (scale 1) up; larger templates take the last entry's.</param>
public sealed record CalibrationTemplates(string Sets, IReadOnlyList<TemplateScale> Scales);

/// <param name="Faces">Faces in the template.</param>
/// <param name="DistanceScale">Factor on a template distance that gives the single-face distance of the same false-accept rate (≥ 1).</param>
/// <param name="Templates">Templates of this size measured (people × random draws of their photos).</param>
/// <param name="DifferentPersonPairs">Template-to-face pairs of different people behind the scale.</param>
public sealed record TemplateScale(int Faces, double DistanceScale, int Templates, long DifferentPersonPairs);

/// <summary>
/// Identify's confidence: a probe's nearest subject is judged against the other subjects nearest to it. With the
/// natural log of each candidate's false-accept rate s (template-scaled), the statistic is s of the candidate minus
/// the mean s of the <see cref="Cohort"/> − 1 other nearest subjects (a missing one counts as s = 0, a rate of 1). A
/// stranger's nearest subject is one of many similar draws; a known person's stands out from the rest. The share of
/// strangers at or below a statistic depends on the gallery's number of subjects: one table per size, measured with
/// galleries drawn from the calibration people and every other person as a stranger.
/// </summary>
/// <param name="Sets">The photo sets the galleries and strangers were drawn from.</param>
/// <param name="Cohort">Nearest subjects the statistic looks at, the judged one included.</param>
/// <param name="Galleries">Ascending gallery sizes; a larger gallery takes the largest table's rates (the statistic of
/// a stranger falls no lower as galleries grow: measured, docs/ACCURACY.md).</param>
/// <param name="Check">The tables tested on strangers they were not built from.</param>
public sealed record CalibrationIdentification(string Sets, int Cohort, IReadOnlyList<StrangerTable> Galleries, IReadOnlyList<IdentificationCheck> Check);

/// <summary>
/// The share of strangers whose nearest subject's statistic is at or below each point's, in galleries of
/// <see cref="Subjects"/> subjects. Below the lowest point the share falls exponentially:
/// rate = lowest rate · e^(<see cref="TailSlope"/> · (statistic − lowest statistic)), the slope fitted by maximum
/// likelihood to the lowest measured statistics.
/// </summary>
/// <param name="Searches">Stranger searches measured.</param>
/// <param name="Points">Ascending statistics with ascending rates.</param>
public sealed record StrangerTable(int Subjects, int Searches, double TailSlope, IReadOnlyList<StrangerPoint> Points);

/// <param name="Statistic">The nearest subject's statistic.</param>
/// <param name="Rate">Share of stranger searches at or below it.</param>
public sealed record StrangerPoint(double Statistic, double Rate);

/// <summary>
/// Tables built from half of the people, applied to galleries and strangers of the other half: the share of strangers
/// matched at <see cref="TargetRate"/>, by gallery size.
/// </summary>
public sealed record IdentificationCheck(double TargetRate, int Subjects, int StrangerSearches, double MeasuredRate);
