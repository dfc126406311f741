using System.Runtime.Intrinsics;
using FaceService.Inference.Runtime;

namespace FaceService.Inference.Detection;

/// <summary>
/// MTCNN's R-Net computed here instead of by ONNX Runtime, from the same model file's weights, as <see cref="PNetKernel"/>
/// does for P-Net: 3x3 conv 3→28, PReLU, 3x3/2 max-pool (SAME), 3x3 conv 28→48, PReLU, 3x3/2 max-pool (VALID), 2x2
/// conv 48→64, PReLU, dense 576→128, PReLU, dense to the two class logits (softmax) and the four box offsets. The
/// candidates' 24x24 crops are laid side by side in one wide image, eight at a time, so that the convolutions run
/// along rows of 192 pixels instead of 24 (each crop's valid outputs read only its own pixels; the columns between
/// them are ignored), which ONNX Runtime's per-crop convolutions cannot fill its vectors with. Fast where
/// <see cref="PNetKernel.IsSupported"/>.
/// </summary>
public sealed unsafe class RNetKernel
{
    public const int InputSize = 24;

    private const int Crops = 8;              // candidates per mosaic
    private const int Conv1Size = 22, Pooled1Size = 11, Pooled1Pitch = 12, Conv2Size = 9, Pooled2Size = 4, Pooled2Pitch = 6, Conv3Size = 3;
    private const int HeadOutputs = 6;

    private readonly ConvolutionLayer _conv1, _conv2, _conv3;
    private readonly float[] _dense;          // [channel][y][x][hidden]: the flattened 3x3x64 features in our order
    private readonly float[] _denseBias, _denseAlpha;
    private readonly float[] _head;           // [output][hidden]: the two class logits, then the four box offsets
    private readonly float[] _headBias;
    private readonly int _hidden;
    private readonly int _threads;

    private RNetKernel(ConvolutionLayer conv1, ConvolutionLayer conv2, ConvolutionLayer conv3, float[] dense, float[] denseBias,
        float[] denseAlpha, float[] head, float[] headBias, int threads)
    {
        (_conv1, _conv2, _conv3, _dense, _denseBias, _denseAlpha, _head, _headBias, _threads) =
            (conv1, conv2, conv3, dense, denseBias, denseAlpha, head, headBias, threads);
        _hidden = denseBias.Length;
    }

    /// <summary>R-Net's weights from its ONNX file (models/mtcnn_rnet.onnx, as models/build.sh writes it).</summary>
    /// <param name="threads">Cores one run may use.</param>
    public static RNetKernel Load(string modelPath, int threads)
    {
        var weights = OnnxInitializers.Read(modelPath);
        OnnxInitializer Named(string prefix) => weights.Named(prefix, modelPath);
        ConvolutionLayer Conv(int n, float scale, float shift) =>
            ConvolutionLayer.FromTransposed(Named($"rnet.conv{n}.weights"), Named($"rnet.conv{n}.Conv2D_bias"), Named($"rnet.prelu{n}.alpha"), scale, shift);
        var conv1 = Conv(1, 1f / 128, 127.5f);
        var conv2 = Conv(2, 1, 0);
        var conv3 = Conv(3, 1, 0);

        // The graph flattens conv3's output NHWC over the transposed image: feature (x·3 + y)·64 + channel, x and y
        // in image orientation. Stored here by (channel, y, x), the order the mosaic is read in.
        var dense = Named("rnet.conv4.weights");
        var hidden = (int)dense.Dims[1];
        var channels = conv3.Outputs;
        if (dense.Dims[0] != channels * Conv3Size * Conv3Size || conv1.Inputs != 3 || conv2.Inputs != conv1.Outputs || conv3.Inputs != conv2.Outputs)
            throw new InvalidDataException($"{modelPath}: layer shapes are not R-Net's.");
        var reordered = new float[dense.Values.Length];
        for (var c = 0; c < channels; c++)
        for (var y = 0; y < Conv3Size; y++)
        for (var x = 0; x < Conv3Size; x++)
            Array.Copy(dense.Values, ((x * Conv3Size + y) * channels + c) * hidden, reordered, ((c * Conv3Size + y) * Conv3Size + x) * hidden, hidden);

        var classes = Named("rnet.conv5-1.weights");
        var boxes = Named("rnet.conv5-2.weights");
        var head = new float[HeadOutputs * hidden];
        for (var h = 0; h < hidden; h++)
        {
            for (var j = 0; j < 2; j++) head[j * hidden + h] = classes.Values[h * 2 + j];
            for (var j = 0; j < 4; j++) head[(2 + j) * hidden + h] = boxes.Values[h * 4 + j];
        }
        float[] headBias = [.. Named("rnet.conv5-1.conv5-1.MatMul_bias").Values, .. Named("rnet.conv5-2.conv5-2.MatMul_bias").Values];
        return new RNetKernel(conv1, conv2, conv3, reordered, Named("rnet.conv4.conv4.MatMul_bias").Values, Named("rnet.prelu4.alpha").Values,
            head, headBias, Math.Max(1, threads));
    }

    /// <summary>
    /// R-Net on <paramref name="count"/> crops (<paramref name="crops"/>: each its R, G and B planes of 24x24, 0..255, as
    /// the ONNX model's input); writes each crop's face probability and its four box offsets (4 per crop), as the
    /// ONNX model's "probabilities"[·, 1] and "box_regression".
    /// </summary>
    public void Run(ReadOnlySpan<float> crops, int count, Span<float> probability, Span<float> regression)
    {
        const int plane = InputSize * InputSize;
        if (crops.Length < count * 3 * plane || probability.Length < count || regression.Length < 4 * count)
            throw new ArgumentException("Buffers too small for the crops.");
        if (count == 0) return;

        var width = Crops * InputSize;
        var input = new FeatureMap(3, InputSize, width);
        var map1 = new FeatureMap(_conv1.PaddedOutputs, Conv1Size, width);
        var pooled1 = new FeatureMap(_conv1.PaddedOutputs, Pooled1Size, Crops * Pooled1Pitch);
        var map2 = new FeatureMap(_conv2.PaddedOutputs, Conv2Size, Crops * Pooled1Pitch);
        var pooled2 = new FeatureMap(_conv2.PaddedOutputs, Pooled2Size, Crops * Pooled2Pitch);
        var map3 = new FeatureMap(_conv3.PaddedOutputs, Conv3Size, Crops * Pooled2Pitch);
        var perWorker = input.Length + map1.Length + width + pooled1.Length + map2.Length + pooled2.Length + map3.Length + _hidden;
        var mosaics = (count + Crops - 1) / Crops;
        var workers = Math.Min(_threads, mosaics);
        fixed (float* source = crops)
        fixed (float* face = probability)
        fixed (float* offsets = regression)
        {
            nint sourceAt = (nint)source, faceAt = (nint)face, offsetsAt = (nint)offsets;

            void Mosaics(int worker, nint scratch)
            {
                var inputAt = (float*)scratch;
                float* map1At = inputAt + input.Length, rowMax = map1At + map1.Length, pooled1At = rowMax + width;
                float* map2At = pooled1At + pooled1.Length, pooled2At = map2At + map2.Length, map3At = pooled2At + pooled2.Length;
                var hidden = map3At + map3.Length;
                for (var m = worker; m < mosaics; m += workers)
                {
                    var first = m * Crops;
                    var crops = Math.Min(Crops, count - first);
                    for (var i = 0; i < crops; i++)
                    for (var c = 0; c < 3; c++)
                    for (var y = 0; y < InputSize; y++)
                        new ReadOnlySpan<float>((float*)sourceAt + ((first + i) * 3 + c) * plane + y * InputSize, InputSize)
                            .CopyTo(new Span<float>(input.Row(inputAt, c, y) + i * InputSize, InputSize));

                    for (var y = 0; y < Conv1Size; y++) ConvolutionRows.Convolve(_conv1, input, inputAt, y, map1, map1At, y, crops * InputSize);
                    Pool(map1, map1At, Conv1Size, InputSize, pooled1, pooled1At, Pooled1Size, Pooled1Pitch, crops, rowMax);
                    for (var y = 0; y < Conv2Size; y++) ConvolutionRows.Convolve(_conv2, pooled1, pooled1At, y, map2, map2At, y, crops * Pooled1Pitch);
                    Pool(map2, map2At, Conv2Size, Pooled1Pitch, pooled2, pooled2At, Pooled2Size, Pooled2Pitch, crops, rowMax);
                    for (var y = 0; y < Conv3Size; y++) ConvolutionRows.Convolve(_conv3, pooled2, pooled2At, y, map3, map3At, y, crops * Pooled2Pitch);
                    for (var i = 0; i < crops; i++)
                        Dense(map3, map3At, i, hidden, (float*)faceAt + first + i, (float*)offsetsAt + 4 * (first + i));
                }
            }

            ConvolutionRows.OnWorkers(workers, perWorker, Mosaics);
        }
    }

    /// <summary>
    /// 3x3 max-pool at stride 2 of each crop's valid <paramref name="size"/> x <paramref name="size"/> outputs (crop i at
    /// columns i·<paramref name="pitch"/>…) into <paramref name="pooledSize"/> x <paramref name="pooledSize"/> at columns
    /// i·<paramref name="pooledPitch"/>…; a window that reaches past the crop's last row or column (SAME padding) takes
    /// the pixels it has.
    /// </summary>
    private static void Pool(FeatureMap map, float* mapStart, int size, int pitch, FeatureMap pooled, float* pooledStart, int pooledSize,
        int pooledPitch, int crops, float* rowMax)
    {
        var last = size - 1;
        for (var c = 0; c < map.Channels; c++)
        for (var py = 0; py < pooledSize; py++)
        {
            float* r0 = map.Row(mapStart, c, 2 * py), r1 = map.Row(mapStart, c, Math.Min(2 * py + 1, last)), r2 = map.Row(mapStart, c, Math.Min(2 * py + 2, last));
            for (var x = 0; x < crops * pitch; x += 8)
                Vector256.Max(Vector256.Max(Vector256.Load(r0 + x), Vector256.Load(r1 + x)), Vector256.Load(r2 + x)).Store(rowMax + x);
            var dst = pooled.Row(pooledStart, c, py);
            for (var i = 0; i < crops; i++)
            {
                var row = rowMax + i * pitch;
                for (var j = 0; j < pooledSize; j++)
                    dst[i * pooledPitch + j] = Math.Max(Math.Max(row[2 * j], row[Math.Min(2 * j + 1, last)]), row[Math.Min(2 * j + 2, last)]);
            }
        }
    }

    /// <summary>The dense layers of crop <paramref name="crop"/>: its 3x3x64 features → 128 (PReLU) → probability and offsets.</summary>
    private void Dense(FeatureMap map3, float* map3Start, int crop, float* hidden, float* face, float* offsets)
    {
        fixed (float* dense = _dense)
        fixed (float* bias = _denseBias)
        fixed (float* alpha = _denseAlpha)
        fixed (float* head = _head)
        fixed (float* headBias = _headBias)
        {
            for (var h = 0; h < _hidden; h += 32)
            {
                Vector256<float> a0 = Vector256.Load(bias + h), a1 = Vector256.Load(bias + h + 8), a2 = Vector256.Load(bias + h + 16), a3 = Vector256.Load(bias + h + 24);
                var w = dense + h;
                for (var c = 0; c < _conv3.Outputs; c++)
                for (var y = 0; y < Conv3Size; y++)
                {
                    var row = map3.Row(map3Start, c, y) + crop * Pooled2Pitch;
                    for (var x = 0; x < Conv3Size; x++, w += _hidden)
                    {
                        var v = Vector256.Create(row[x]);
                        a0 = Vector256.FusedMultiplyAdd(v, Vector256.Load(w), a0);
                        a1 = Vector256.FusedMultiplyAdd(v, Vector256.Load(w + 8), a1);
                        a2 = Vector256.FusedMultiplyAdd(v, Vector256.Load(w + 16), a2);
                        a3 = Vector256.FusedMultiplyAdd(v, Vector256.Load(w + 24), a3);
                    }
                }
                a0.Store(hidden + h);
                a1.Store(hidden + h + 8);
                a2.Store(hidden + h + 16);
                a3.Store(hidden + h + 24);
            }
            for (var h = 0; h < _hidden; h++) hidden[h] = hidden[h] >= 0 ? hidden[h] : alpha[h] * hidden[h];

            Span<float> outputs = stackalloc float[HeadOutputs];
            for (var j = 0; j < HeadOutputs; j++)
            {
                var sum = headBias[j];
                for (var h = 0; h < _hidden; h++) sum += head[j * _hidden + h] * hidden[h];
                outputs[j] = sum;
            }
            // softmax(l0, l1)[1] = 1 / (1 + e^(l0 − l1))
            *face = 1 / (1 + MathF.Exp(outputs[0] - outputs[1]));
            for (var j = 0; j < 4; j++) offsets[j] = outputs[2 + j];
        }
    }
}
