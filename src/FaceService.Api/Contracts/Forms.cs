using System.ComponentModel.DataAnnotations;
using FaceService.Api.Security;
using FaceService.Core.Clustering;
using FaceService.Core.Naming;
using Microsoft.AspNetCore.Mvc;

namespace FaceService.Api.Contracts;

// multipart/form-data bodies. Field names are bound explicitly so that the API, the docs and Swagger UI agree.
// Only presence is checked here; value rules (ranges, id syntax) live in the application services, once.

public sealed class DetectForm
{
    /// <summary>The photo (JPEG, PNG, WebP, BMP or GIF).</summary>
    [Required, FromForm(Name = "image")] public IFormFile? Image { get; set; }
}

public sealed class EnrollForm : ICollectionScoped
{
    /// <summary>
    /// The caller's id for the person: 1 to 256 characters, compared in Unicode NFC; no '/', no control or invisible
    /// formatting characters, no leading or trailing white space.
    /// </summary>
    /// <example>example-person</example>
    [Required, FromForm(Name = "subject")] public SubjectId? Subject { get; set; }

    /// <summary>One or more photos of the person; the primary face of each (the most prominent) is enrolled.</summary>
    [Required, FromForm(Name = "image")] public List<IFormFile>? Image { get; set; }

    /// <summary>Collection (default "default"): 1-64 of letters, digits, '_', '.', '-'.</summary>
    /// <example>swagger-try-out</example>
    [FromForm(Name = "collection")] public CollectionName Collection { get; set; }

    /// <summary>An image whose face's quality (0..1) is below this is not enrolled and is listed with its reasons;
    /// default: configured (Quality:MinQuality, 0.5). Below the configured value, faces are stored outside the template.</summary>
    /// <example>0.5</example>
    [FromForm(Name = "minQuality")] public float? MinQuality { get; set; }
}

public sealed class VerifyForm : ICollectionScoped
{
    /// <summary>The photo to check.</summary>
    [Required, FromForm(Name = "image1")] public IFormFile? Image1 { get; set; }

    /// <summary>A second photo to compare with; give this or subject.</summary>
    [FromForm(Name = "image2")] public IFormFile? Image2 { get; set; }

    /// <summary>An enrolled subject to compare with; give this or image2.</summary>
    /// <example>example-person</example>
    [FromForm(Name = "subject")] public SubjectId? Subject { get; set; }

    /// <summary>The subject's collection (default "default").</summary>
    [FromForm(Name = "collection")] public CollectionName Collection { get; set; }

    // Two uploads compared with each other touch no collection.
    bool ICollectionScoped.UsesCollection => Subject is not null;

    /// <summary>Squared L2 distance at or below which the faces are the same person; instead of maxFalseAcceptRate.</summary>
    /// <example>0.15</example>
    [FromForm(Name = "threshold")] public float? Threshold { get; set; }

    /// <summary>
    /// The false-accept rate to decide at (greater than 0, at most 1): the threshold becomes the largest distance at which
    /// at most this share of pairs of different people is accepted. Instead of threshold; default: configured (1e-3).
    /// </summary>
    /// <example>0.0001</example>
    [FromForm(Name = "maxFalseAcceptRate")] public double? MaxFalseAcceptRate { get; set; }
}

public sealed class IdentifyForm : ICollectionScoped
{
    /// <summary>The photo.</summary>
    [Required, FromForm(Name = "image")] public IFormFile? Image { get; set; }

    /// <summary>Candidates per face (default 5).</summary>
    /// <example>5</example>
    [FromForm(Name = "k")] public int? K { get; set; }

    /// <summary>Squared L2 distance at or below which a candidate is a match; instead of maxFalsePositiveIdentificationRate.</summary>
    /// <example>0.1</example>
    [FromForm(Name = "threshold")] public float? Threshold { get; set; }

    /// <summary>
    /// The share of strangers (people not enrolled) that may be matched to someone, at the collection's size (greater
    /// than 0, at most 1): the threshold becomes the largest distance that keeps it. Instead of threshold; default:
    /// configured (0.01).
    /// </summary>
    /// <example>0.001</example>
    [FromForm(Name = "maxFalsePositiveIdentificationRate")] public double? MaxFalsePositiveIdentificationRate { get; set; }

    /// <summary>Collection to search (default "default").</summary>
    [FromForm(Name = "collection")] public CollectionName Collection { get; set; }

    /// <summary>Identify every face instead of only the primary one.</summary>
    [FromForm(Name = "allFaces")] public bool AllFaces { get; set; }

    /// <summary>
    /// Search breadth for this request, 1 to 1000 (default: the configured Storage:EfSearch, or Storage:InProcessEfSearch
    /// for a collection searched through the in-process graph): the HNSW candidate list size. Higher finds the exact nearest subjects more often and takes longer (docs/BENCHMARKS.md, Search at scale).
    /// </summary>
    /// <example>100</example>
    [FromForm(Name = "efSearch")] public int? EfSearch { get; set; }
}

public sealed class ClusterImagesForm
{
    /// <summary>Unlabelled photos; every face in them is clustered.</summary>
    [Required, FromForm(Name = "image")] public List<IFormFile>? Image { get; set; }

    /// <summary>Squared L2 linkage distance at which merging stops (default: configured).</summary>
    [FromForm(Name = "threshold")] public float? Threshold { get; set; }

    /// <summary>average (default), complete or single.</summary>
    [FromForm(Name = "linkage")] public Linkage? Linkage { get; set; }

    /// <summary>Cluster faces below the configured quality threshold too; by default they are left out and listed in leftOut.</summary>
    [FromForm(Name = "includeLowQuality")] public bool IncludeLowQuality { get; set; }
}
