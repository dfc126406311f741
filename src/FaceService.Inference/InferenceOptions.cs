using System.ComponentModel.DataAnnotations;

namespace FaceService.Inference;

/// <summary>Where the ONNX models run.</summary>
public enum InferenceDevice
{
    /// <summary>CUDA when the runtime and a GPU are there, otherwise CPU with a logged warning.</summary>
    Auto,
    Cpu,
    /// <summary>CUDA or fail start-up.</summary>
    Cuda,
    /// <summary>
    /// TensorRT (engines built for these models on first use and cached, CUDA for what TensorRT cannot run) or fail
    /// start-up. The first start on a machine builds the engines: minutes, not seconds.
    /// </summary>
    TensorRt,
}

/// <summary>How the recognition net's input chip is cut from the photo.</summary>
public enum FaceAlignment
{
    /// <summary>Similarity fit of dlib's landmarks 27..54 and 60..64 to its mean face (what dlib's get_face_chip_details does).</summary>
    Landmarks68,
    /// <summary>Similarity fit of the 5 points (eye centres, nose tip, mouth corners) to the same mean face.</summary>
    FivePoint,
    /// <summary>No alignment: the detector box padded to a square and resized (face-api's way).</summary>
    BoxCrop,
}

/// <summary>Which face detector finds the faces.</summary>
public enum FaceDetectorKind
{
    /// <summary>face-api's SSD MobileNetV1: the image at 512x512 (plus a zoomed-out pass when it finds nothing).</summary>
    Ssd,
    /// <summary>MTCNN (facenet's P/R/O-Nets) over an image pyramid from <see cref="InferenceOptions.MtcnnMinFaceSize"/> up.</summary>
    Mtcnn,
    /// <summary>The SSD, and MTCNN for the photos in which the SSD finds no face.</summary>
    SsdThenMtcnn,
    /// <summary>Both on every photo: the SSD's faces plus MTCNN's that the SSD did not find (small faces in large photos).</summary>
    SsdAndMtcnn,
    /// <summary>
    /// MTCNN, and the SSD (with its zoom-out pass) for the photos in which MTCNN finds no face: on photos of a few hundred
    /// pixels MTCNN's pyramid is a sixth of the SSD's work, and the SSD stays the fallback for faces MTCNN misses.
    /// </summary>
    MtcnnThenSsd,
}

/// <summary>Where the 68 landmarks that place the chip come from.</summary>
public enum LandmarkSource
{
    /// <summary>face-api's 68-point landmark net (ONNX) on the detector box padded to a square.</summary>
    FaceApi68,
    /// <summary>
    /// dlib's 68-point shape predictor (regression trees, models/dlib_shape_predictor_68.bin): the landmarks the recognition
    /// net's training chips were cut with. Its box is the one dlib's HOG detector would give, placed from face-api's
    /// landmarks (both run).
    /// </summary>
    Dlib68,
    /// <summary>
    /// dlib's shape predictor on the detector box mapped to the box dlib's HOG detector would give, without face-api's
    /// net: cheaper, but where the detector box is off the predictor fails (about 4 % of lfw-dev's faces).
    /// </summary>
    Dlib68FromBox,
}

/// <summary>Which build of the recognition net embeds the chips.</summary>
public enum RecognitionPrecision
{
    /// <summary>The net as trained (models/face_recognition.onnx).</summary>
    Float32,
    /// <summary>
    /// The int8 build (models/face_recognition_int8.onnx): on CPUs with int8 dot products (AVX-512 VNNI, AVX-VNNI) about
    /// 2.3-2.8x faster per chip; pair distances move by about 0.002 on average, at most about 0.02. Its own embedding
    /// space (model id), so it needs its own calibration and never mixes with float32 codes.
    /// </summary>
    Int8,
    /// <summary>
    /// Chosen once at start-up (<see cref="Recognition.RecognitionPrecisionChoice"/>): the build the stored faces were
    /// embedded by, so that an existing deployment keeps matching them; with none stored, Int8 on a CPU with int8 dot
    /// products, Float32 on any other CPU and on a GPU.
    /// </summary>
    Auto,
}

/// <summary>Options of the face pipeline, bound from the "Inference" configuration section.</summary>
public sealed class InferenceOptions : IValidatableObject
{
    public const string SectionName = "Inference";

    /// <summary>Folder with the *.onnx models; relative paths are resolved against the content root, then its parents.</summary>
    [Required] public string ModelsPath { get; set; } = "models";

    public InferenceDevice Device { get; set; } = InferenceDevice.Auto;

    /// <summary>CUDA device id when <see cref="Device"/> selects CUDA or TensorRT.</summary>
    [Range(0, 64)] public int CudaDeviceId { get; set; }

    /// <summary>
    /// Folder TensorRT keeps its built engines in (<see cref="InferenceDevice.TensorRt"/>), so that a restart does not
    /// build them again; writable by the service. Null: "trt-engines" in the models folder.
    /// </summary>
    public string? TensorRtEngineCachePath { get; set; }

    /// <summary>TensorRT in half precision: faster, but the embeddings move; the shipped calibration was measured in fp32.</summary>
    public bool TensorRtFp16 { get; set; }

    /// <summary>Threads of each ORT session's intra-op pool; 0 = one per core.</summary>
    [Range(0, 1024)] public int IntraOpThreads { get; set; }

    /// <summary>
    /// Whether idle intra-op threads spin waiting for the next run. Each of the three sessions has its own pool, so
    /// spinning threads of one network take cores from the next network's run on the same request.
    /// </summary>
    public bool IntraOpSpinning { get; set; }

    /// <summary>
    /// One CPU memory arena for the three sessions, extended by exactly what a run asks for (kSameAsRequested), instead
    /// of an arena per session extended by ever larger powers of two: less memory held after a peak, and regions the
    /// periodic shrink (<see cref="NativeMemoryTrimIntervalSeconds"/>) can give back. false = ONNX Runtime's default.
    /// </summary>
    public bool SharedCpuArena { get; set; } = true;

    /// <summary>
    /// Most model runs at once, all three models together; 0 = one per core. Further runs wait for a slot. Each CPU run
    /// already uses every core, so more overlap adds no throughput, only arena memory (the activations of every run in
    /// flight); with a GPU, raise it to keep the device busy.
    /// </summary>
    [Range(0, 1024)] public int MaxConcurrentRuns { get; set; }

    /// <summary>Most face chips one recognition run takes (concurrent requests share runs).</summary>
    [Range(1, 256)] public int MaxBatchSize { get; set; } = 16;

    /// <summary>
    /// How long the recognition batcher waits for more chips after the first one before it runs.
    /// 0 = no added latency: a batch takes only what queued up while the previous run was busy.
    /// </summary>
    [Range(0, 1000)] public int MaxBatchWaitMs { get; set; }

    public FaceDetectorKind Detector { get; set; } = FaceDetectorKind.MtcnnThenSsd;

    /// <summary>
    /// MTCNN (also as the SSD's fallback): the smallest face, in original pixels, its image pyramid is built to find. Its first level scales
    /// the image by 12 / this (P-Net's window is 12 px), so halving it quadruples P-Net's work.
    /// </summary>
    [Range(12, 10_000)] public int MtcnnMinFaceSize { get; set; } = 40;

    /// <summary>
    /// MTCNN's P-Net and R-Net computed by the service's own CPU code (<c>PNetKernel</c>, <c>RNetKernel</c>: the same
    /// weights and arithmetic, faster than ONNX Runtime on their thin layers) where the models run on a CPU with AVX2 and
    /// FMA; false = ONNX Runtime runs them everywhere.
    /// </summary>
    public bool MtcnnKernels { get; set; } = true;

    [Range(0.01, 0.99)] public float DetectorScoreThreshold { get; set; } = 0.5f;

    /// <summary>
    /// Second detector pass (batched with the first) on the image centred in a square this many times its longer side;
    /// finds faces that fill the frame, which the SSD misses at full size. 1 = single pass (face-api's way).
    /// </summary>
    [Range(1.0, 4.0)] public float DetectorZoomOutPass { get; set; } = 1.5f;

    /// <summary>
    /// Run the zoom-out pass only for images in which the first pass found no face (the frame-filling crops it exists
    /// for), instead of for every image: about half the detector's work on photos with faces. false = both passes always.
    /// </summary>
    public bool DetectorZoomOutOnlyWhenNoFace { get; set; } = true;

    [Range(0.05, 0.95)] public float NmsIouThreshold { get; set; } = 0.5f;

    /// <summary>Faces whose box is smaller than this (shorter side, original pixels) are dropped.</summary>
    [Range(1, 10_000)] public int MinFaceSize { get; set; } = 20;

    [Range(1, 1000)] public int MaxFacesPerImage { get; set; } = 100;

    /// <summary>Uploads whose declared width x height exceeds this are refused before their pixels are decoded.</summary>
    [Range(1L, 500_000_000L)] public long MaxImagePixels { get; set; } = 40_000_000;

    public FaceAlignment Alignment { get; set; } = FaceAlignment.Landmarks68;

    /// <summary>
    /// Embed each chip and its mirror image and keep their normalised mean: one more chip per face through the
    /// recognition net, less sensitivity to the chip's left-right asymmetries (dlib's jitter, at its cheapest).
    /// </summary>
    public bool MirrorAveraging { get; set; } = true;

    /// <summary>Which build of the recognition net runs; the embedding model id names it.</summary>
    public RecognitionPrecision RecognitionPrecision { get; set; } = RecognitionPrecision.Auto;

    /// <summary>The landmark source; the embedding model id names it, so codes of different chip geometry are never compared.</summary>
    public LandmarkSource Landmarker { get; set; } = LandmarkSource.Dlib68;

    /// <summary>Run each model once on a blank input at start-up so the first request does not pay for it.</summary>
    public bool WarmUp { get; set; } = true;

    /// <summary>
    /// Seconds between returns of unused native memory: the models' arena frees the regions no tensor uses (on each
    /// model's next run), and the C heap's free memory goes back to the operating system (glibc malloc_trim; malloc
    /// blocks of 128 KiB and more then also get mappings of their own); 0 = never. Without it, every peak of overlapping
    /// runs stays with the process and resident memory creeps up under load.
    /// </summary>
    [Range(0, 86_400)] public int NativeMemoryTrimIntervalSeconds { get; set; } = 60;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(ModelsPath))
            yield return new ValidationResult("ModelsPath must name a folder.", [nameof(ModelsPath)]);
        if (!Enum.IsDefined(Device))
            yield return new ValidationResult($"Device must be one of {string.Join(", ", Enum.GetNames<InferenceDevice>())}.", [nameof(Device)]);
        if (!Enum.IsDefined(Detector))
            yield return new ValidationResult($"Detector must be one of {string.Join(", ", Enum.GetNames<FaceDetectorKind>())}.", [nameof(Detector)]);
        if (!Enum.IsDefined(Alignment))
            yield return new ValidationResult($"Alignment must be one of {string.Join(", ", Enum.GetNames<FaceAlignment>())}.", [nameof(Alignment)]);
        if (!Enum.IsDefined(RecognitionPrecision))
            yield return new ValidationResult($"RecognitionPrecision must be one of {string.Join(", ", Enum.GetNames<RecognitionPrecision>())}.", [nameof(RecognitionPrecision)]);
        else if (RecognitionPrecision == RecognitionPrecision.Int8 && Device is InferenceDevice.Cuda or InferenceDevice.TensorRt)
            yield return new ValidationResult("RecognitionPrecision=Int8 is for the CPU's int8 kernels; on a GPU (Device=Cuda or TensorRt) run Float32.",
                [nameof(RecognitionPrecision), nameof(Device)]);
        if (!Enum.IsDefined(Landmarker))
            yield return new ValidationResult($"Landmarker must be one of {string.Join(", ", Enum.GetNames<LandmarkSource>())}.", [nameof(Landmarker)]);
    }
}
