using FaceService.Core.Faces;
using FaceService.Inference;
using Prometheus;

namespace FaceService.Api.Metrics;

/// <summary>
/// The recognition net's ONNX Runtime runs and the chips they carried, read from the micro-batcher at each scrape:
/// rate(faceservice_recognition_chips_total) / rate(faceservice_recognition_batches_total) is the mean batch size.
/// </summary>
public sealed class RecognitionBatchMetrics(IFaceEmbedder embedder) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (embedder is not BatchingFaceEmbedder batcher) return Task.CompletedTask;
        var batches = Prometheus.Metrics.CreateCounter("faceservice_recognition_batches_total", "ONNX Runtime runs of the recognition net.");
        var chips = Prometheus.Metrics.CreateCounter("faceservice_recognition_chips_total", "Face chips embedded by those runs (sum of batch sizes).");
        Prometheus.Metrics.DefaultRegistry.AddBeforeCollectCallback(() =>
        {
            batches.IncTo(batcher.BatchesRun);
            chips.IncTo(batcher.ChipsEmbedded);
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
