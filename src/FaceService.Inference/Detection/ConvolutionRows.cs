using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FaceService.Inference.Runtime;

namespace FaceService.Inference.Detection;

/// <summary>
/// A map of channels x height x width floats, each row padded to <see cref="Stride"/> (a whole number of
/// <see cref="ConvolutionRows.Step"/>s plus one, so that a step may read and write past a row's last pixel); one that
/// <paramref name="Wraps"/> (height a power of two) keeps row r in slot r mod height.
/// </summary>
internal readonly unsafe record struct FeatureMap(int Channels, int Height, int Width, bool Wraps = false)
{
    public int Stride => (Width + ConvolutionRows.Step - 1) / ConvolutionRows.Step * ConvolutionRows.Step + ConvolutionRows.Step;
    public int Plane => Height * Stride;
    public int Length => Channels * Plane;
    public float* Row(float* start, int channel, int row) => start + channel * Plane + (Wraps ? row & (Height - 1) : row) * Stride;
}

/// <summary>
/// A square convolution with its PReLU, in image orientation, output channels padded to a multiple of
/// <see cref="ConvolutionRows.Group"/> (zero weights): weights [group][input channel][ky][kx][channel in group].
/// </summary>
internal sealed record ConvolutionLayer(int Inputs, int Outputs, int Kernel, float[] Weights, float[] Bias, float[] Alpha)
{
    public int PaddedOutputs => (Outputs + ConvolutionRows.Group - 1) / ConvolutionRows.Group * ConvolutionRows.Group;

    /// <summary>
    /// From ONNX's [out][in][a][b] over the transposed image (facenet's MTCNN graphs): in image orientation
    /// kernel[ky][kx] = onnx[kx][ky]. Inputs scaled by <paramref name="scale"/> after subtracting
    /// <paramref name="shift"/> are folded in: Σ w·(x − shift)·scale + b = Σ (w·scale)·x + (b − shift·scale·Σ w).
    /// </summary>
    public static ConvolutionLayer FromTransposed(OnnxInitializer weights, OnnxInitializer bias, OnnxInitializer alpha, float scale = 1, float shift = 0)
    {
        if (weights.Dims is not [var outputs, var inputs, var k, var k2] || k != k2 || bias.Values.Length != outputs || alpha.Values.Length != outputs)
            throw new InvalidDataException("Not a square convolution with one bias and one PReLU slope per channel.");
        int o = (int)outputs, n = (int)inputs, size = (int)k, group = ConvolutionRows.Group;
        var padded = (o + group - 1) / group * group;
        var packed = new float[padded * n * size * size];
        var folded = new float[padded];
        var slopes = new float[padded];
        for (var co = 0; co < o; co++)
        {
            double sum = 0;
            for (var ci = 0; ci < n; ci++)
            for (var ky = 0; ky < size; ky++)
            for (var kx = 0; kx < size; kx++)
            {
                var w = weights.Values[((co * n + ci) * size + kx) * size + ky];
                sum += w;
                packed[(((co / group * n + ci) * size + ky) * size + kx) * group + co % group] = w * scale;
            }
            folded[co] = (float)(bias.Values[co] - shift * scale * sum);
            slopes[co] = alpha.Values[co];
        }
        return new ConvolutionLayer(n, o, size, packed, folded, slopes);
    }
}

/// <summary>
/// The convolution step of the MTCNN kernels (<see cref="PNetKernel"/>, <see cref="RNetKernel"/>): one output row at a
/// time, eight pixels of a row per vector and four output channels per loaded input, which keeps the fused
/// multiply-adds busy on layers of 3 to 64 channels where ONNX Runtime's blocked convolutions reach about a quarter of
/// the machine's peak.
/// </summary>
internal static unsafe class ConvolutionRows
{
    /// <summary>Output channels that share each loaded input.</summary>
    public const int Group = 4;
    /// <summary>Pixels of a row per step: two vectors of eight.</summary>
    public const int Step = 16;

    /// <summary>
    /// Runs <paramref name="work"/>(worker, scratch) for workers 0..<paramref name="workers"/>-1 on the cores (one worker
    /// inline), each with <paramref name="perWorker"/> floats of scratch of its own, zeroed (so that every value a
    /// convolution step reads in a map's padding columns is finite).
    /// </summary>
    public static void OnWorkers(int workers, int perWorker, Action<int, nint> work)
    {
        var buffer = ScratchBuffers.Rent<float>(workers * perWorker);
        try
        {
            Array.Clear(buffer, 0, workers * perWorker);
            fixed (float* start = buffer)
            {
                var startAt = (nint)start;
                if (workers == 1) work(0, startAt);
                else Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers },
                    worker => work(worker, (nint)((float*)startAt + worker * perWorker)));
            }
        }
        finally
        {
            ScratchBuffers.Return(buffer);
        }
    }

    /// <summary>
    /// One output row of a valid convolution with PReLU, columns [0, <paramref name="outputWidth"/>) rounded up to a
    /// whole step: every group of four channels, sixteen pixels a step.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Convolve(ConvolutionLayer layer, FeatureMap input, float* inputStart, int inputRow,
        FeatureMap output, float* outputStart, int outputRow, int outputWidth)
    {
        int k = layer.Kernel, taps = layer.Inputs * k * k;
        fixed (float* weights = layer.Weights)
        fixed (float* bias = layer.Bias)
        fixed (float* alpha = layer.Alpha)
        {
            for (var g = 0; g < layer.PaddedOutputs; g += Group)
            {
                var groupWeights = weights + g * taps;
                var dst = output.Row(outputStart, g, outputRow);
                for (var x = 0; x < outputWidth; x += Step)
                {
                    Vector256<float> a0 = Vector256.Create(bias[g]), b0 = a0;
                    Vector256<float> a1 = Vector256.Create(bias[g + 1]), b1 = a1;
                    Vector256<float> a2 = Vector256.Create(bias[g + 2]), b2 = a2;
                    Vector256<float> a3 = Vector256.Create(bias[g + 3]), b3 = a3;
                    var w = groupWeights;
                    for (var c = 0; c < layer.Inputs; c++)
                    for (var ky = 0; ky < k; ky++)
                    {
                        var src = input.Row(inputStart, c, inputRow + ky) + x;
                        for (var kx = 0; kx < k; kx++, w += Group)
                        {
                            var left = Vector256.Load(src + kx);
                            var right = Vector256.Load(src + kx + 8);
                            var v = Vector256.Create(w[0]);
                            a0 = Vector256.FusedMultiplyAdd(left, v, a0);
                            b0 = Vector256.FusedMultiplyAdd(right, v, b0);
                            v = Vector256.Create(w[1]);
                            a1 = Vector256.FusedMultiplyAdd(left, v, a1);
                            b1 = Vector256.FusedMultiplyAdd(right, v, b1);
                            v = Vector256.Create(w[2]);
                            a2 = Vector256.FusedMultiplyAdd(left, v, a2);
                            b2 = Vector256.FusedMultiplyAdd(right, v, b2);
                            v = Vector256.Create(w[3]);
                            a3 = Vector256.FusedMultiplyAdd(left, v, a3);
                            b3 = Vector256.FusedMultiplyAdd(right, v, b3);
                        }
                    }
                    StorePRelu(a0, b0, alpha[g], dst + x);
                    StorePRelu(a1, b1, alpha[g + 1], dst + output.Plane + x);
                    StorePRelu(a2, b2, alpha[g + 2], dst + 2 * output.Plane + x);
                    StorePRelu(a3, b3, alpha[g + 3], dst + 3 * output.Plane + x);
                }
            }
        }
    }

    private static void StorePRelu(Vector256<float> left, Vector256<float> right, float alpha, float* destination)
    {
        var slope = Vector256.Create(alpha);
        Vector256.FusedMultiplyAdd(Vector256.Min(left, Vector256<float>.Zero), slope, Vector256.Max(left, Vector256<float>.Zero)).Store(destination);
        Vector256.FusedMultiplyAdd(Vector256.Min(right, Vector256<float>.Zero), slope, Vector256.Max(right, Vector256<float>.Zero)).Store(destination + 8);
    }
}
