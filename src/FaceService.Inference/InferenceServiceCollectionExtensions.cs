using FaceService.Core.Calibration;
using FaceService.Core.Faces;
using FaceService.Core.Services;
using FaceService.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using FaceService.Inference.Alignment;
using FaceService.Inference.Detection;
using FaceService.Inference.Imaging;
using FaceService.Inference.Landmarks;
using FaceService.Inference.Recognition;
using FaceService.Inference.Runtime;

namespace FaceService.Inference;

public static class InferenceServiceCollectionExtensions
{
    /// <summary>
    /// Registers the face pipeline and its parts as singletons, the recognition model's <see cref="DistanceCalibration"/>
    /// (models/calibration), <see cref="InferenceOptions"/> from the "Inference" section and <see cref="QualityOptions"/>
    /// from the "Quality" section (both validated at start-up), a
    /// hosted service that opens the models and their calibration and warms them up at start-up, and one that gives
    /// unused native memory back at an interval.
    /// </summary>
    public static IServiceCollection AddFaceInference(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<InferenceOptions>()
            .Bind(configuration.GetSection(InferenceOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<InferenceOptions>>().Value);

        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<InferenceOptions>();
            var contentRoot = sp.GetService<IHostEnvironment>()?.ContentRootPath ?? AppContext.BaseDirectory;
            return new OnnxSessionFactory(options, ModelDirectory.Resolve(options.ModelsPath, contentRoot),
                sp.GetRequiredService<ILogger<OnnxSessionFactory>>());
        });
        services.AddSingleton(sp => new SkiaImageDecoder(sp.GetRequiredService<InferenceOptions>().MaxImagePixels));
        services.AddSingleton<IFaceDetector>(sp =>
        {
            var options = sp.GetRequiredService<InferenceOptions>();
            var sessions = sp.GetRequiredService<OnnxSessionFactory>();
            return options.Detector switch
            {
                FaceDetectorKind.Mtcnn => new MtcnnFaceDetector(sessions, options),
                FaceDetectorKind.SsdThenMtcnn or FaceDetectorKind.SsdAndMtcnn => new CombinedFaceDetector(
                    new SsdFaceDetector(sessions, options), new MtcnnFaceDetector(sessions, options),
                    secondaryOnlyWhenNone: options.Detector == FaceDetectorKind.SsdThenMtcnn, options.MaxFacesPerImage),
                FaceDetectorKind.MtcnnThenSsd => new CombinedFaceDetector(
                    new MtcnnFaceDetector(sessions, options), new SsdFaceDetector(sessions, options), secondaryOnlyWhenNone: true, options.MaxFacesPerImage),
                _ => new SsdFaceDetector(sessions, options),
            };
        });
        services.AddSingleton<IFaceLandmarker>(sp =>
        {
            var sessions = sp.GetRequiredService<OnnxSessionFactory>();
            return sp.GetRequiredService<InferenceOptions>().Landmarker switch
            {
                LandmarkSource.Dlib68 => DlibShapePredictor.Open(sessions.ModelsDirectory, seed: new Landmark68Net(sessions)),
                LandmarkSource.Dlib68FromBox => DlibShapePredictor.Open(sessions.ModelsDirectory),
                _ => new Landmark68Net(sessions),
            };
        });
        services.AddSingleton(sp => new FaceChipAligner(sp.GetRequiredService<InferenceOptions>().Alignment));
        services.AddSingleton(ChoosePrecision);
        services.AddSingleton(sp => new RecognitionNet(sp.GetRequiredService<OnnxSessionFactory>(),
            sp.GetRequiredService<RecognitionPrecisionChoice>().Precision));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<InferenceOptions>();
            var net = sp.GetRequiredService<RecognitionNet>();
            return new BatchingFaceEmbedder(net, FaceModelId.For(net.WeightsSha256, options.Alignment, options.Landmarker, options.MirrorAveraging, net.Precision), options.MaxBatchSize, options.MaxBatchWaitMs);
        });
        services.AddEmbeddingQuantizer();
        services.AddOptions<QualityOptions>()
            .Bind(configuration.GetSection(QualityOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton(sp => new FaceQualityScorer(sp.GetRequiredService<IOptions<QualityOptions>>().Value));
        services.AddSingleton<IFacePipeline, FacePipeline>();
        // The rates of the recognition model's distances, shipped beside the models; resolved at start-up (below).
        services.AddSingleton(sp => GalleryCalibration.Load(sp.GetRequiredService<OnnxSessionFactory>().ModelsDirectory,
            sp.GetRequiredService<IFacePipeline>().ModelId));
        services.AddSingleton(sp => sp.GetRequiredService<GalleryCalibration>().Distances);
        services.AddSingleton<InferenceWarmUp>();
        services.AddHostedService<InferenceWarmUpService>();
        services.AddHostedService<NativeMemoryTrimService>();
        return services;
    }

    /// <summary>
    /// Has <see cref="RecognitionPrecision.Auto"/> follow the faces the host's store (<see cref="IFaceStore"/>) holds: for
    /// hosts that serve a store and migrate it before the pipeline is built (the API, the CLI's commands on a
    /// collection). Without it the hardware alone decides (the bench; the CLI clustering a folder, which may run with
    /// no database up).
    /// </summary>
    public static IServiceCollection AddPrecisionFromStoredFaces(this IServiceCollection services) =>
        services.AddSingleton<StoredFacesDecidePrecision>();

    private sealed class StoredFacesDecidePrecision;

    /// <summary>
    /// The recognition net's build (<see cref="RecognitionPrecisionChoice"/>); for Auto on the CPU, from the faces the
    /// host's store holds where the host asked for it (<see cref="AddPrecisionFromStoredFaces"/>; a store that cannot be
    /// read counts as unknown), else from the hardware.
    /// </summary>
    private static RecognitionPrecisionChoice ChoosePrecision(IServiceProvider sp)
    {
        var options = sp.GetRequiredService<InferenceOptions>();
        var sessions = sp.GetRequiredService<OnnxSessionFactory>();
        var onCpu = sessions.ExecutionProvider == "CPU";
        if (options.RecognitionPrecision != RecognitionPrecision.Auto || !onCpu)
            return RecognitionPrecisionChoice.Resolve(options.RecognitionPrecision, onCpu, false, null, "", "");

        string ModelIdOf(RecognitionPrecision precision) => FaceModelId.For(
            RecognitionNet.WeightsSha256Of(sessions.ModelPath(RecognitionNet.FileFor(precision))),
            options.Alignment, options.Landmarker, options.MirrorAveraging, precision);
        return RecognitionPrecisionChoice.Resolve(RecognitionPrecision.Auto, onCpu, RecognitionPrecisionChoice.CpuHasInt8DotProducts,
            StoredFaces(sp), ModelIdOf(RecognitionPrecision.Float32), ModelIdOf(RecognitionPrecision.Int8));
    }

    private static IReadOnlyDictionary<string, long>? StoredFaces(IServiceProvider sp)
    {
        if (sp.GetService<StoredFacesDecidePrecision>() is null || sp.GetService<IFaceStore>() is not { } store) return null;
        try
        {
            return store.CountFacesByModelAsync().GetAwaiter().GetResult();
        }
        catch (Exception e) // a start-up probe: any failure means "not known", and the hardware decides
        {
            sp.GetRequiredService<ILogger<RecognitionNet>>().LogWarning(
                "Could not count the stored faces by model ({Reason}); the recognition precision is chosen by the hardware", e.Message);
            return null;
        }
    }
}

/// <summary>
/// Identity of an embedding space: recognition weights plus the way chips are cut (the fit and, for the landmark
/// fits, the landmark source; a box crop uses no landmarks) and whether the chip's mirror image is averaged in. The int8
/// build is named too ("dlib-resnet-v1-int8"), besides its own weights hash.
/// </summary>
public static class FaceModelId
{
    public static string For(string weightsSha256, FaceAlignment alignment, LandmarkSource landmarker, bool mirrorAveraging,
        RecognitionPrecision precision = RecognitionPrecision.Float32)
    {
        var net = precision == RecognitionPrecision.Int8 ? "dlib-resnet-v1-int8" : "dlib-resnet-v1";
        var mirror = mirrorAveraging ? "+mirror" : "";
        var landmarks = landmarker switch
        {
            LandmarkSource.Dlib68 => "-dlibsp",
            LandmarkSource.Dlib68FromBox => "-dlibsp-box",
            _ => "",
        };
        return alignment switch
        {
            FaceAlignment.Landmarks68 => $"{net}+facechip150{landmarks}{mirror}@{weightsSha256[..12]}",
            FaceAlignment.FivePoint => $"{net}+facechip150-5pt{landmarks}{mirror}@{weightsSha256[..12]}",
            _ => $"{net}+boxcrop150{mirror}@{weightsSha256[..12]}",
        };
    }
}

internal static class ModelDirectory
{
    /// <summary>
    /// An absolute path as it is; a relative one against the content root, or else the nearest parent that has it
    /// (so that "models" finds the repository's models/ from a project folder or a test's bin folder).
    /// </summary>
    public static string Resolve(string path, string contentRoot)
    {
        if (Path.IsPathRooted(path)) return path;
        for (var dir = new DirectoryInfo(contentRoot); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, path);
            if (Directory.Exists(candidate)) return candidate;
        }
        return Path.GetFullPath(Path.Combine(contentRoot, path));
    }
}
