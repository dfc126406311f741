using System.ComponentModel.DataAnnotations;

namespace FaceService.Core.Services;

/// <summary>How a collection's people are kept, bound from the "People" section.</summary>
public sealed class PeopleOptions
{
    public const string SectionName = "People";

    /// <summary>The requester an automatic recluster job is recorded under.</summary>
    public const string AutoRequester = "auto";

    /// <summary>Queue a recluster when index has grown a collection enough (<see cref="AutoReclusterGrowth"/>).</summary>
    public bool AutoRecluster { get; set; } = true;

    /// <summary>Growth of the collection's faces since its last recluster (0.25: a quarter more) that queues the next one.</summary>
    [Range(0.01, 100.0)] public double AutoReclusterGrowth { get; set; } = 0.25;

    /// <summary>New faces since the last recluster, at least, before growth queues another (small collections change little).</summary>
    [Range(1, int.MaxValue)] public int AutoReclusterMinNewFaces { get; set; } = 50;
}
