using System.Diagnostics.Metrics;

namespace FaceService.Core.Services;

/// <summary>Counters of the face services, published on the "FaceService" meter (exported by the host, e.g. to Prometheus).</summary>
public sealed class FaceServiceMetrics
{
    public const string MeterName = "FaceService";

    private readonly Counter<long> _imagesAnalyzed;
    private readonly Counter<long> _facesEmbedded;
    private readonly Counter<long> _facesEnrolled;
    private readonly Counter<long> _facesErased;

    public FaceServiceMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _imagesAnalyzed = meter.CreateCounter<long>("faceservice.images.analyzed", "{image}", "Uploaded images run through the face pipeline.");
        _facesEmbedded = meter.CreateCounter<long>("faceservice.faces.embedded", "{face}", "Faces turned into embeddings, by operation.");
        _facesEnrolled = meter.CreateCounter<long>("faceservice.faces.enrolled", "{face}", "Faces written by enroll requests (idempotent repeats included).");
        _facesErased = meter.CreateCounter<long>("faceservice.faces.erased", "{face}", "Faces deleted (subject, face or collection deletes).");
    }

    public void ImageAnalyzed(string operation, int embeddedFaces)
    {
        var tag = new KeyValuePair<string, object?>("operation", operation);
        _imagesAnalyzed.Add(1, tag);
        if (embeddedFaces > 0) _facesEmbedded.Add(embeddedFaces, tag);
    }

    public void FacesEnrolled(int count) => _facesEnrolled.Add(count);

    public void FacesErased(int count) => _facesErased.Add(count);
}
