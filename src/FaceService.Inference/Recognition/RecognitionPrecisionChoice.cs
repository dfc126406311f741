using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace FaceService.Inference.Recognition;

/// <summary>
/// The build of the recognition net that serves, with why: <see cref="InferenceOptions.RecognitionPrecision"/> as
/// configured, or <see cref="RecognitionPrecision.Auto"/> resolved once at start-up. Auto follows the stored faces
/// first, because the two builds embed into different spaces (model ids) and a search never compares faces across
/// them: a deployment whose faces were embedded by one build keeps it, whatever the hardware. Only with none of
/// either stored does the hardware decide: the int8 build where the CPU has int8 dot products (2.3-2.8 times as fast
/// per chip at the same measured accuracy, docs/ACCURACY.md), the float32 build on other CPUs (whose int8 kernels
/// saturate 16-bit sums and gain little) and on a GPU.
/// </summary>
public sealed record RecognitionPrecisionChoice(RecognitionPrecision Precision, string Reason)
{
    /// <summary>Whether this CPU has int8 dot-product instructions (AVX-512 VNNI, AVX-VNNI, Arm's SDOT/UDOT).</summary>
    public static bool CpuHasInt8DotProducts => AvxVnni.IsSupported || HasAvx512Vnni || Dp.IsSupported;

    // .NET has no IsSupported for AVX-512 VNNI: CPUID leaf 7, ECX bit 11, where the OS runs AVX-512 at all.
    private static bool HasAvx512Vnni => Avx512F.IsSupported && (X86Base.CpuId(7, 0).Ecx & (1 << 11)) != 0;

    /// <param name="configured">The configured precision.</param>
    /// <param name="onCpu">Whether the models run on the CPU.</param>
    /// <param name="cpuHasInt8DotProducts">See <see cref="CpuHasInt8DotProducts"/>.</param>
    /// <param name="storedFaces">Stored faces by model id; null where the store could not be read.</param>
    /// <param name="float32ModelId">The model id the float32 build gives with the configured chips.</param>
    /// <param name="int8ModelId">The model id the int8 build gives with the configured chips.</param>
    public static RecognitionPrecisionChoice Resolve(RecognitionPrecision configured, bool onCpu, bool cpuHasInt8DotProducts,
        IReadOnlyDictionary<string, long>? storedFaces, string float32ModelId, string int8ModelId)
    {
        if (configured != RecognitionPrecision.Auto) return new(configured, "configured");
        if (!onCpu) return new(RecognitionPrecision.Float32, "Auto: the models run on a GPU");
        var int8Faces = storedFaces?.GetValueOrDefault(int8ModelId) ?? 0;
        if (int8Faces > 0) return new(RecognitionPrecision.Int8, $"Auto: {int8Faces} stored faces were embedded by the int8 build");
        var float32Faces = storedFaces?.GetValueOrDefault(float32ModelId) ?? 0;
        if (float32Faces > 0)
            return new(RecognitionPrecision.Float32, $"Auto: {float32Faces} stored faces were embedded by the float32 build " +
                "(set Inference:RecognitionPrecision=Int8 and enroll them again to switch)");
        return cpuHasInt8DotProducts
            ? new(RecognitionPrecision.Int8, "Auto: no faces stored by either build, and this CPU has int8 dot products")
            : new(RecognitionPrecision.Float32, "Auto: no faces stored by either build, and this CPU has no int8 dot products");
    }
}
