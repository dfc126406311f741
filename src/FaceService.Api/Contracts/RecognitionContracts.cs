using System.Text.Json.Serialization;
using FaceService.Core.Faces;
using FaceService.Core.Services;

namespace FaceService.Api.Contracts;

public sealed class DetectResponse
{
    /// <example>250</example>
    public required int ImageWidth { get; init; }

    /// <example>250</example>
    public required int ImageHeight { get; init; }

    /// <summary>Faces, largest first; empty when the photo shows none.</summary>
    public required IReadOnlyList<DetectedFaceDto> Faces { get; init; }

    public static DetectResponse From(ImageAnalysis<FoundFace> a) => new()
    {
        ImageWidth = a.ImageWidth,
        ImageHeight = a.ImageHeight,
        Faces = a.Faces.Select(f => new DetectedFaceDto
        {
            Box = Box.From(f.Box), Score = f.Score, Landmarks = f.Landmarks.Select(Point.From).ToList(), Quality = QualityDto.From(f.Quality),
        }).ToList(),
    };
}

public sealed class DetectedFaceDto
{
    public required Box Box { get; init; }

    /// <summary>Detector confidence, 0..1.</summary>
    /// <example>0.998</example>
    public required float Score { get; init; }

    /// <summary>Five points: left eye centre, right eye centre (as seen in the image), nose tip, left and right mouth corner.</summary>
    public required IReadOnlyList<Point> Landmarks { get; init; }

    /// <summary>How usable the face is for recognition, and its parts.</summary>
    public required QualityDto Quality { get; init; }
}

public sealed class EnrollResponse
{
    /// <example>alice</example>
    public required string Subject { get; init; }

    /// <example>default</example>
    public required string Collection { get; init; }

    /// <summary>The quality threshold the faces were held to.</summary>
    /// <example>0.5</example>
    public required float MinQuality { get; init; }

    /// <summary>One entry per enrolled image, in upload order (the same bytes twice give the same face).</summary>
    public required IReadOnlyList<EnrolledFaceDto> Faces { get; init; }

    /// <summary>Images whose face is below minQuality: not enrolled, with the reasons.</summary>
    public required IReadOnlyList<RefusedImageDto> Refused { get; init; }

    public static EnrollResponse From(EnrollResult r) => new()
    {
        Subject = r.Subject,
        Collection = r.Collection,
        MinQuality = r.MinQuality,
        Faces = r.Faces.Select(f => new EnrolledFaceDto
        {
            FaceId = f.FaceId, Box = Box.From(f.Box), Score = f.Score, ImageSha256 = f.ImageSha256, Image = f.Field, FileName = f.FileName,
            FacesDetected = f.FacesDetected, Quality = QualityDto.From(f.Quality), LowQuality = f.LowQuality,
        }).ToList(),
        Refused = r.Refused.Select(f => new RefusedImageDto { Image = f.Field, FileName = f.FileName, Face = RefusedFaceDto.From(f.Face) }).ToList(),
    };
}

public sealed class EnrolledFaceDto
{
    /// <example>3f2b8c1e-9a4d-4e57-8b0a-6c1d2e3f4a5b</example>
    public required Guid FaceId { get; init; }

    public required Box Box { get; init; }

    /// <example>0.997</example>
    public required float Score { get; init; }

    /// <summary>SHA-256 of the uploaded file's bytes (hex): the idempotency key together with subject and collection.</summary>
    /// <example>9b74c9897bac770ffc029102a200c5de6a1f0a8c0b1e0b5d1c0b7f5e0d9c8b7a</example>
    public required string ImageSha256 { get; init; }

    /// <summary>The form field the image came in: image[0], image[1], ...</summary>
    /// <example>image[0]</example>
    public required string Image { get; init; }

    /// <example>alice_0001.jpg</example>
    public string? FileName { get; init; }

    /// <summary>Faces found in the image; the enrolled one is its primary face (the most prominent).</summary>
    /// <example>1</example>
    public required int FacesDetected { get; init; }

    public required QualityDto Quality { get; init; }

    /// <summary>Below the configured quality threshold (let in by a lower minQuality): stored, but outside the subject's template.</summary>
    /// <example>false</example>
    public required bool LowQuality { get; init; }
}

public sealed class RefusedImageDto
{
    /// <summary>The form field of the upload.</summary>
    /// <example>image[1]</example>
    public required string Image { get; init; }

    /// <example>blurred.jpg</example>
    public string? FileName { get; init; }

    /// <summary>Its primary face, and why it was refused.</summary>
    public required RefusedFaceDto Face { get; init; }
}

public sealed class VerifyResponse
{
    /// <summary>True when distance ≤ threshold.</summary>
    /// <example>true</example>
    public required bool Verified { get; init; }

    /// <summary>Squared L2 distance between the unit embeddings, 0 (identical) .. 4 (opposite). Against a subject: the
    /// minimum over the subject's stored faces.</summary>
    /// <example>0.0696</example>
    public required float Distance { get; init; }

    /// <summary>Estimated false-accept rate of the distance: the share of pairs of different people at least this close.
    /// Against a subject, the share of other people with a face this close to one of the subject's comparedFaces.</summary>
    /// <example>7.5e-7</example>
    public required double FalseAcceptRate { get; init; }

    /// <summary>The threshold applied: the request's distance, or the one for the request's or the configured false-accept rate.</summary>
    /// <example>0.147</example>
    public required float Threshold { get; init; }

    /// <summary>Estimated false-accept rate of the threshold: the share of other people it accepts.</summary>
    /// <example>0.001</example>
    public required double ThresholdFalseAcceptRate { get; init; }

    /// <summary>The compared face of each uploaded image: its primary face (the most prominent: size, nearness to the centre, detector score).</summary>
    public required IReadOnlyList<VerifiedFaceDto> Faces { get; init; }

    /// <summary>Against a subject: the stored face that gave the distance.</summary>
    /// <example>3f2b8c1e-9a4d-4e57-8b0a-6c1d2e3f4a5b</example>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Guid? MatchedFaceId { get; init; }

    /// <summary>Against a subject: its stored faces, each compared (each a chance for someone else to come close).</summary>
    /// <example>2</example>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? ComparedFaces { get; init; }

    public static VerifyResponse From(VerifyResult r) => new()
    {
        Verified = r.Verified,
        Distance = r.Distance,
        FalseAcceptRate = r.FalseAcceptRate,
        Threshold = r.Threshold,
        ThresholdFalseAcceptRate = r.ThresholdFalseAcceptRate,
        Faces = r.Faces.Select(f => new VerifiedFaceDto { Image = f.Field, Box = Box.From(f.Box), Score = f.Score, FacesDetected = f.FacesDetected }).ToList(),
        MatchedFaceId = r.MatchedFaceId,
        ComparedFaces = r.ComparedFaces,
    };
}

public sealed class VerifiedFaceDto
{
    /// <summary>The form field: image1 or image2.</summary>
    /// <example>image1</example>
    public required string Image { get; init; }

    public required Box Box { get; init; }

    /// <example>0.996</example>
    public required float Score { get; init; }

    /// <summary>Faces found in the image; the compared one is its primary face (the most prominent).</summary>
    /// <example>1</example>
    public required int FacesDetected { get; init; }
}

public sealed class IdentifyResponse
{
    /// <example>500</example>
    public required int ImageWidth { get; init; }

    /// <example>375</example>
    public required int ImageHeight { get; init; }

    /// <summary>The share of strangers (people not enrolled) matches are held to at this collection's size: the
    /// request's maxFalsePositiveIdentificationRate or the configured one. Null when the request gave a threshold.</summary>
    /// <example>0.01</example>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? MaxFalsePositiveIdentificationRate { get; init; }

    /// <summary>The request's distance, when it decided by one: candidates at or below it match.</summary>
    /// <example>0.12</example>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public float? Threshold { get; init; }

    /// <summary>Subjects enrolled in the collection (for the current model): the people a stranger's face is compared with.</summary>
    /// <example>1944</example>
    public required long GallerySubjects { get; init; }

    /// <summary>Faces enrolled in the collection (for the current model).</summary>
    /// <example>5203</example>
    public required long GalleryFaces { get; init; }

    /// <summary>The primary face, or with allFaces every face (largest first); empty when the photo shows none.</summary>
    public required IReadOnlyList<IdentifiedFaceDto> Faces { get; init; }

    /// <summary>Faces found in the photo (without allFaces only the primary one is identified).</summary>
    /// <example>1</example>
    public required int FacesDetected { get; init; }

    public static IdentifyResponse From(IdentifyResult r) => new()
    {
        ImageWidth = r.ImageWidth,
        ImageHeight = r.ImageHeight,
        MaxFalsePositiveIdentificationRate = r.MaxFalsePositiveIdentificationRate,
        Threshold = r.Threshold,
        GallerySubjects = r.Gallery.Subjects,
        GalleryFaces = r.Gallery.Faces,
        FacesDetected = r.FacesDetected,
        Faces = r.Faces.Select(f => new IdentifiedFaceDto
        {
            Box = Box.From(f.Box),
            Score = f.Score,
            Quality = QualityDto.From(f.Quality),
            Subject = f.Subject,
            Candidates = f.Candidates.Select(c => new CandidateDto
            {
                Subject = c.Subject, Faces = c.Faces, FaceId = c.FaceId, Distance = c.Distance, FalseAcceptRate = c.FalseAcceptRate,
                FalsePositiveIdentificationRate = c.FalsePositiveIdentificationRate, Match = c.Match,
            }).ToList(),
        }).ToList(),
    };
}

public sealed class IdentifiedFaceDto
{
    public required Box Box { get; init; }

    /// <example>0.995</example>
    public required float Score { get; init; }

    /// <summary>How usable the face is for recognition: a low score explains a face that matches no one.</summary>
    public required QualityDto Quality { get; init; }

    /// <summary>The subject this face is identified as (the candidate with match = true), or null if none.</summary>
    /// <example>alice</example>
    public required string? Subject { get; init; }

    /// <summary>Up to k subjects, surest first (by falseAcceptRate: a subject of several faces is compared as one person).</summary>
    public required IReadOnlyList<CandidateDto> Candidates { get; init; }
}

public sealed class CandidateDto
{
    /// <example>alice</example>
    public required string Subject { get; init; }

    /// <summary>Faces enrolled for the subject; it is compared as their template (the normalised mean of their embeddings).</summary>
    /// <example>3</example>
    public required int Faces { get; init; }

    /// <summary>The subject's enrolled face nearest to this face.</summary>
    /// <example>3f2b8c1e-9a4d-4e57-8b0a-6c1d2e3f4a5b</example>
    public required Guid FaceId { get; init; }

    /// <summary>Squared L2 distance to the subject's template (with one face, to that face), 0..4.</summary>
    /// <example>0.071</example>
    public required float Distance { get; init; }

    /// <summary>Estimated false-accept rate of the distance: the share of other people at least this close to the
    /// subject (a template of several faces is a little closer to everyone, and its rate says so).</summary>
    /// <example>1.9e-6</example>
    public required double FalseAcceptRate { get; init; }

    /// <summary>Estimated share of strangers whose nearest subject in this collection stands out from their other
    /// nearest subjects at least as much as this candidate does from this face's: how likely a match this sure is by
    /// chance, at the collection's size. A candidate matches when this is at most maxFalsePositiveIdentificationRate.</summary>
    /// <example>0.0037</example>
    public required double FalsePositiveIdentificationRate { get; init; }

    /// <summary>True for the one candidate this face is assigned to: within the request's rule (rate or threshold) and,
    /// with allFaces, not already taken by a surer face of the same photo.</summary>
    /// <example>true</example>
    public required bool Match { get; init; }
}
