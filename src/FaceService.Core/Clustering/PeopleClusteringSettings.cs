namespace FaceService.Core.Clustering;

/// <summary>
/// The constants of <see cref="PeopleClusterer"/>, measured on lfw-people and lfw-dev with the default model (chosen on
/// half of the people, checked on the other half: docs/CLUSTERING.md). Not configuration: a different value is a
/// different algorithm, to be measured with `bench clustering`, which varies them one at a time.
/// </summary>
public sealed record PeopleClusteringSettings
{
    /// <summary>Average-link distance below which the first stage joins clusters: tight enough that strangers rarely meet.</summary>
    public float TightDistance { get; init; } = 0.09f;

    /// <summary>Whether the second stage runs at all (without it: average linkage cut at <see cref="TightDistance"/>).</summary>
    public bool SecondStage { get; init; } = true;

    /// <summary>No merge of the second stage at or beyond this average-link distance, whatever the evidence.</summary>
    public float MaxDistance { get; init; } = 0.14f;

    /// <summary>Most a pair's distance may exceed the mean spread inside its two clusters.</summary>
    public float MaxGap { get; init; } = 0.045f;

    /// <summary>The spread assumed inside a single face's cluster: the median distance of two photos of one person.</summary>
    public float SingleFaceSpread { get; init; } = 0.085f;

    /// <summary>Other candidates a candidate is judged against.</summary>
    public int Cohort { get; init; } = 9;

    /// <summary>
    /// Threshold on T for two single faces: −∞, the second stage never joins two of them (they join in the first stage,
    /// or through a group). Beyond the tight distance two lone faces are as often two strangers as one person twice:
    /// joining them at −4.5 bought nothing and matched more strangers (docs/CLUSTERING.md).
    /// </summary>
    public double TwoFacesThreshold { get; init; } = double.NegativeInfinity;

    /// <summary>Threshold on T for a single face and a group.</summary>
    public double FaceAndGroupThreshold { get; init; } = -3.0;

    /// <summary>Threshold on T for two groups.</summary>
    public double TwoGroupsThreshold { get; init; } = -2.5;
}
