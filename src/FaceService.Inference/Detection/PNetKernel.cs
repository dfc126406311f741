using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FaceService.Inference.Runtime;

namespace FaceService.Inference.Detection;

/// <summary>
/// MTCNN's P-Net computed here instead of by ONNX Runtime, from the same model file's weights: the same layers (3x3
/// conv 3→10, PReLU, 2x2 max-pool (SAME), 3x3 conv 10→16, PReLU, 3x3 conv 16→32, PReLU, 1x1 convs to the two class
/// logits and the four box offsets, softmax), in the same float32 arithmetic up to the order of the sums. Why: P-Net
/// runs over every pixel of every pyramid level, and its layers have 3 to 32 channels, too few for ONNX Runtime's
/// blocked convolutions to fill the vector units (about a quarter of the machine's peak, measured); here eight
/// pixels of a row share each vector and four output channels share each loaded input, which keeps the fused
/// multiply-adds busy. The graph's transposes (facenet's column-major weights) become transposed kernels, and the
/// input normalisation (x − 127.5) / 128 is folded into the first layer's weights. Fast with AVX2 and FMA
/// (<see cref="IsSupported"/>); elsewhere it is correct but slow, and the detector lets ONNX Runtime run the net.
/// </summary>
public sealed unsafe class PNetKernel
{
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    private const int HeadOutputs = 6;
    /// <summary>Rows kept of pooled and conv2 maps: the three a 3x3 kernel reads, rounded up to a power of two.</summary>
    private const int Ring = 4;
    /// <summary>Fewer output rows than this per core are not worth a second worker (each recomputes its band's first rows).</summary>
    private const int MinRowsPerWorker = 8;

    private readonly ConvolutionLayer _conv1, _conv2, _conv3;
    private readonly float[] _head; // [input channel][6]: the two class logits, then the four box offsets
    private readonly float[] _headBias;
    private readonly int _threads;

    private PNetKernel(ConvolutionLayer conv1, ConvolutionLayer conv2, ConvolutionLayer conv3, float[] head, float[] headBias, int threads)
    {
        (_conv1, _conv2, _conv3, _head, _headBias, _threads) = (conv1, conv2, conv3, head, headBias, threads);
    }

    /// <summary>P-Net's weights from its ONNX file (models/mtcnn_pnet.onnx, as models/build.sh writes it).</summary>
    /// <param name="threads">Cores one level may use.</param>
    public static PNetKernel Load(string modelPath, int threads)
    {
        var weights = OnnxInitializers.Read(modelPath);
        OnnxInitializer Named(string prefix) => weights.Named(prefix, modelPath);
        ConvolutionLayer Conv(int n, float scale, float shift) =>
            ConvolutionLayer.FromTransposed(Named($"pnet.conv{n}.weights"), Named($"pnet.conv{n}.Conv2D_bias"), Named($"pnet.PReLU{n}.alpha"), scale, shift);

        var classes = Named("pnet.conv4-1.weights");
        var boxes = Named("pnet.conv4-2.weights");
        var channels = (int)classes.Dims[1];
        var head = new float[channels * HeadOutputs];
        for (var c = 0; c < channels; c++)
        {
            for (var j = 0; j < 2; j++) head[c * HeadOutputs + j] = classes.Values[j * channels + c];
            for (var j = 0; j < 4; j++) head[c * HeadOutputs + 2 + j] = boxes.Values[j * channels + c];
        }
        float[] headBias = [.. Named("pnet.conv4-1.Conv2D_bias").Values, .. Named("pnet.conv4-2.Conv2D_bias").Values];
        var conv1 = Conv(1, 1f / 128, 127.5f);
        var conv2 = Conv(2, 1, 0);
        var conv3 = Conv(3, 1, 0);
        if (conv1.Inputs != 3 || conv2.Inputs != conv1.Outputs || conv3.Inputs != conv2.Outputs || channels != conv3.Outputs || headBias.Length != HeadOutputs)
            throw new InvalidDataException($"{modelPath}: layer shapes are not P-Net's.");
        return new PNetKernel(conv1, conv2, conv3, head, headBias, Math.Max(1, threads));
    }

    /// <summary>The output map's size for a width x height level: facenet's ceil(n / 2) − 5.</summary>
    public static (int Width, int Height) OutputSize(int width, int height) => ((width + 1) / 2 - 5, (height + 1) / 2 - 5);

    /// <summary>
    /// The input layout <see cref="Run"/> takes for a width x height level: R, G and B planes one after another, each row
    /// <paramref name="RowStride"/> floats apart (padded, so that a vector step may read past a row's last pixel);
    /// <paramref name="Length"/> floats in all. <see cref="Imaging.AreaResampler"/> resizes into it directly.
    /// </summary>
    public readonly record struct InputLayout(int RowStride, int Length)
    {
        public static InputLayout For(int width, int height)
        {
            var map = new FeatureMap(3, height, width);
            return new InputLayout(map.Stride, map.Length);
        }
    }

    /// <summary>
    /// P-Net on one level: <paramref name="planes"/> is the level's R, G and B planes (0..255) in the
    /// <see cref="InputLayout"/> of width x height, its padding finite; writes the face probability of each cell (rows x
    /// columns of <see cref="OutputSize"/>) and the four box offsets (four such maps, one after the other), as the ONNX
    /// model's "probabilities"[1] and "box_regression".
    /// </summary>
    public void Run(ReadOnlySpan<float> planes, int width, int height, Span<float> probability, Span<float> regression)
    {
        var (columns, rows) = OutputSize(width, height);
        if (columns < 1 || rows < 1) throw new ArgumentException($"A {width}x{height} level is smaller than P-Net's 12x12 window.");
        var input = new FeatureMap(3, height, width);
        if (planes.Length < input.Length || probability.Length < rows * columns || regression.Length < 4 * rows * columns)
            throw new ArgumentException("Buffers too small for the level.");

        // Each map: its channels' planes one after another, rows padded to a whole number of steps plus one, so that a
        // step may read and write past a row's last pixel (into zeros or columns nobody reads) without a tail loop.
        // Between the layers only the rows the next layer still needs are kept, in rings of four rows per channel:
        // a worker's rings stay in the core's cache, where whole maps of a large level would not.
        int width1 = width - 2, height1 = height - 2;                 // conv1
        int pooledWidth = (width1 + 1) / 2;
        int width2 = pooledWidth - 2;                                 // conv2
        var pair = new FeatureMap(_conv1.PaddedOutputs, 2, width1);
        var pooled = new FeatureMap(_conv1.PaddedOutputs, Ring, pooledWidth, Wraps: true);
        var map2 = new FeatureMap(_conv2.PaddedOutputs, Ring, width2, Wraps: true);
        var map3 = new FeatureMap(_conv3.PaddedOutputs, 1, columns, Wraps: true);
        var perWorker = pair.Length + pooled.Length + map2.Length + map3.Length;
        var workers = Math.Min(_threads, Math.Max(1, rows / MinRowsPerWorker));
        fixed (float* source = planes)
        fixed (float* face = probability)
        fixed (float* offsets = regression)
        {
            nint inputAt = (nint)source, faceAt = (nint)face, offsetsAt = (nint)offsets;

            void Band(int worker, nint scratch)
            {
                var pairAt = (float*)scratch;
                float* pooledAt = pairAt + pair.Length, map2At = pooledAt + pooled.Length, map3At = map2At + map2.Length;
                int from = rows * worker / workers, to = rows * (worker + 1) / workers;
                int nextPooled = from, next2 = from;
                for (var y = from; y < to; y++)
                {
                    // conv3's row y reads conv2's rows y..y+2, each of which reads pooled rows r..r+2.
                    for (; next2 <= y + 2; next2++)
                    {
                        for (; nextPooled <= next2 + 2; nextPooled++)
                        {
                            // conv1 rows 2p and 2p + 1 (the last row again where there is none: SAME pooling pads with nothing).
                            ConvolutionRows.Convolve(_conv1, input, (float*)inputAt, 2 * nextPooled, pair, pairAt, 0, width1);
                            ConvolutionRows.Convolve(_conv1, input, (float*)inputAt, Math.Min(2 * nextPooled + 1, height1 - 1), pair, pairAt, 1, width1);
                            Pool(pair, pairAt, pooled, pooledAt, nextPooled, width1);
                        }
                        ConvolutionRows.Convolve(_conv2, pooled, pooledAt, next2, map2, map2At, next2, width2);
                    }
                    ConvolutionRows.Convolve(_conv3, map2, map2At, y, map3, map3At, y, columns);
                    Head(map3, map3At, y, columns, rows, (float*)faceAt, (float*)offsetsAt);
                }
            }

            ConvolutionRows.OnWorkers(workers, perWorker, Band);
        }
    }

    /// <summary>2x2 max-pool of two conv1 rows into pooled row <paramref name="row"/>; an odd last column pools alone.</summary>
    private void Pool(FeatureMap pairMap, float* pair, FeatureMap pooled, float* pooledStart, int row, int width1)
    {
        var last = width1 - 1;
        for (var c = 0; c < _conv1.Outputs; c++)
        {
            float* top = pairMap.Row(pair, c, 0), bottom = pairMap.Row(pair, c, 1), dst = pooled.Row(pooledStart, c, row);
            for (var q = 0; q < pooled.Width; q++)
            {
                int x0 = 2 * q, x1 = Math.Min(x0 + 1, last);
                dst[q] = Math.Max(Math.Max(top[x0], top[x1]), Math.Max(bottom[x0], bottom[x1]));
            }
        }
    }

    /// <summary>The 1x1 head on one row of conv3: face probability (softmax of the two logits) and the four offsets.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Head(FeatureMap map3, float* map3Start, int row, int columns, int rows, float* face, float* offsets)
    {
        var cells = rows * columns;
        var outputs = stackalloc float[HeadOutputs * 8];
        fixed (float* head = _head)
        fixed (float* bias = _headBias)
        {
            for (var x = 0; x < columns; x += 8)
            {
                Vector256<float> l0 = Vector256.Create(bias[0]), l1 = Vector256.Create(bias[1]);
                Vector256<float> r0 = Vector256.Create(bias[2]), r1 = Vector256.Create(bias[3]);
                Vector256<float> r2 = Vector256.Create(bias[4]), r3 = Vector256.Create(bias[5]);
                var w = head;
                for (var c = 0; c < _conv3.Outputs; c++, w += HeadOutputs)
                {
                    var v = Vector256.Load(map3.Row(map3Start, c, row) + x);
                    l0 = Vector256.FusedMultiplyAdd(v, Vector256.Create(w[0]), l0);
                    l1 = Vector256.FusedMultiplyAdd(v, Vector256.Create(w[1]), l1);
                    r0 = Vector256.FusedMultiplyAdd(v, Vector256.Create(w[2]), r0);
                    r1 = Vector256.FusedMultiplyAdd(v, Vector256.Create(w[3]), r1);
                    r2 = Vector256.FusedMultiplyAdd(v, Vector256.Create(w[4]), r2);
                    r3 = Vector256.FusedMultiplyAdd(v, Vector256.Create(w[5]), r3);
                }
                // softmax(l0, l1)[1] = 1 / (1 + e^(l0 − l1))
                (Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(l0 - l1))).Store(outputs);
                r0.Store(outputs + 8);
                r1.Store(outputs + 16);
                r2.Store(outputs + 24);
                r3.Store(outputs + 32);
                var count = Math.Min(8, columns - x);
                var cell = row * columns + x;
                new ReadOnlySpan<float>(outputs, count).CopyTo(new Span<float>(face + cell, count));
                for (var j = 0; j < 4; j++)
                    new ReadOnlySpan<float>(outputs + 8 * (j + 1), count).CopyTo(new Span<float>(offsets + j * cells + cell, count));
            }
        }
    }
}
