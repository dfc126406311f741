using System.Diagnostics;
using FaceService.Core.Calibration;
using FaceService.Core.Faces;
using FaceService.Core.Imaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using FaceService.Inference.Alignment;
using FaceService.Inference.Detection;
using FaceService.Inference.Imaging;
using FaceService.Inference.Landmarks;
using FaceService.Inference.Recognition;

namespace FaceService.Inference.Runtime;

/// <summary>Opens every model and runs each once on a blank input, so that start-up fails early and the first request is fast.</summary>
public sealed class InferenceWarmUp(
    IFaceDetector detector, IFaceLandmarker landmarker, FaceChipAligner aligner, BatchingFaceEmbedder embedder,
    OnnxSessionFactory sessions, SkiaImageDecoder decoder, ILogger<InferenceWarmUp> logger)
{
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        var watch = Stopwatch.StartNew();
        const int side = 64;
        var grey = new RgbaImage(side, side, Enumerable.Repeat((byte)128, side * side * 4).ToArray());
        var box = new FaceBox(0, 0, side, side);
        detector.Detect(grey);
        var landmarks = landmarker.Detect(grey, [box]);
        await embedder.EmbedAsync([aligner.Cut(grey, box, landmarks[0])], cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Face models ({ModelId}) loaded from {ModelsDirectory} on {Provider} and warmed up in {ElapsedMs} ms; JPEG pixels decoded by {JpegDecoder}.",
            embedder.ModelId, sessions.ModelsDirectory, sessions.ExecutionProvider, watch.ElapsedMilliseconds, decoder.JpegDecoder);
    }
}

/// <summary>
/// Resolves the pipeline and its calibration at host start (missing models, an unusable CUDA, or no calibration for the
/// recognition model fail start-up) and warms the models up.
/// </summary>
internal sealed class InferenceWarmUpService(IServiceProvider services, InferenceOptions options, ILogger<InferenceWarmUpService> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        services.GetRequiredService<IFacePipeline>();
        var precision = services.GetRequiredService<RecognitionPrecisionChoice>();
        logger.LogInformation("Recognition net: {Precision} ({Reason})", precision.Precision, precision.Reason);
        var calibration = services.GetRequiredService<GalleryCalibration>().Distances;
        logger.LogInformation("Calibration of {ModelId}: {Calibration}", calibration.ModelId, calibration.Description);
        return options.WarmUp ? services.GetRequiredService<InferenceWarmUp>().RunAsync(cancellationToken) : Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
