using FaceService.CommandLine;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using SkiaSharp;

namespace FaceService.ModelBuilder;

/// <summary>Which network a parity input feeds.</summary>
public enum ParityNetwork
{
    Recognition,
    Landmarks,
    Detector,
    MtcnnPNet,
    MtcnnRNet,
    MtcnnONet,
}

/// <summary>
/// One input tensor shared by a reference run of the original network (tests/parity) and the ONNX parity tests:
/// float32 HWC RGB in 0..255, already at the network's input size so neither side resizes it.
/// </summary>
public sealed record ParityInput(string Name, ParityNetwork Network, string Source, int Height, int Width, float[] Pixels)
{
    /// <summary>The tensor as written to disk: little-endian float32, height x width x 3.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[Pixels.Length * sizeof(float)];
        for (var i = 0; i < Pixels.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), Pixels[i]);
        }
        return bytes;
    }

    public string Sha256() => Convert.ToHexStringLower(SHA256.HashData(ToBytes()));

    /// <summary>The same pixels as an NCHW [1,3,Height,Width] buffer, the layout of our ONNX models.</summary>
    public float[] ToNchw()
    {
        var plane = Height * Width;
        var nchw = new float[3 * plane];
        for (var p = 0; p < plane; p++)
        {
            for (var c = 0; c < 3; c++)
            {
                nchw[c * plane + p] = Pixels[p * 3 + c];
            }
        }
        return nchw;
    }
}

/// <summary>
/// Builds the parity inputs deterministically from the shared development photos. JPEGs are decoded once, here,
/// with SkiaSharp (libjpeg-turbo); cropping, padding and resizing are plain managed code with integer-rounded
/// results, so the bytes do not depend on Skia's CPU-specific resampling paths or on a JavaScript JPEG decoder.
/// </summary>
public static class ParityInputs
{
    public const int RecognitionSize = Inference.Recognition.RecognitionNet.ChipSize;
    public const int LandmarksSize = 112;
    public const int DetectorSize = 512;

    // LFW deep-funneled photos are 250x250 with the face centred; these squares hold the face (recognition, tight)
    // and the face plus some margin (landmarks), like the crops face-api gets from a detection.
    private static readonly SKRectI RecognitionCrop = SKRectI.Create(68, 68, 114, 114);
    private static readonly SKRectI LandmarksCrop = SKRectI.Create(60, 60, 130, 130);

    private static readonly string[] RecognitionPhotos =
    [
        "George_Clooney/George_Clooney_0001.jpg",
        "Mary_Carey/Mary_Carey_0001.jpg",
        "Juanes/Juanes_0001.jpg",
        "Barbra_Streisand/Barbra_Streisand_0001.jpg",
    ];

    private static readonly ulong[] RecognitionNoiseSeeds = [20240601, 7];

    private static readonly string[] LandmarksPhotos =
    [
        "George_Clooney/George_Clooney_0002.jpg",
        "Martha_Burk/Martha_Burk_0001.jpg",
        "Jon_Voight/Jon_Voight_0001.jpg",
    ];

    // Group photos (3, 6 small, 2 faces), two large photos, an upscaled LFW photo and a photo with no human face.
    private static readonly string[] DetectorPhotos =
    [
        "_group/2008_002506.jpg",
        "_group/2008_002470.jpg",
        "_group/kit_with_rose.jpg",
        "Barack_Obama/Barack_Obama_0001.jpg",
        "Alex_Lacamoire/Alex_Lacamoire_0002.jpg",
        "Paul_Tagliabue/Paul_Tagliabue_0001.jpg",
        "_noface/dog.jpg",
    ];

    public static IReadOnlyList<ParityInput> Generate(string facesDirectory)
    {
        var inputs = new List<ParityInput>();
        foreach (var photo in RecognitionPhotos)
        {
            var image = DecodedImage.Load(Path.Combine(facesDirectory, photo));
            inputs.Add(new ParityInput(NameOf("recognition", photo), ParityNetwork.Recognition, photo, RecognitionSize, RecognitionSize,
                image.CropResize(RecognitionCrop, RecognitionSize, RecognitionSize)));
        }
        foreach (var seed in RecognitionNoiseSeeds)
        {
            inputs.Add(new ParityInput($"recognition-noise-{seed}", ParityNetwork.Recognition,
                $"uniform 0..255, seed {seed}", RecognitionSize, RecognitionSize, UniformNoise(seed, RecognitionSize * RecognitionSize * 3)));
        }
        foreach (var photo in LandmarksPhotos)
        {
            var image = DecodedImage.Load(Path.Combine(facesDirectory, photo));
            inputs.Add(new ParityInput(NameOf("landmarks", photo), ParityNetwork.Landmarks, photo, LandmarksSize, LandmarksSize,
                image.CropResize(LandmarksCrop, LandmarksSize, LandmarksSize)));
        }
        foreach (var photo in DetectorPhotos)
        {
            var image = DecodedImage.Load(Path.Combine(facesDirectory, photo));
            // face-api's toBatchTensor(512, false): zero padding at the bottom/right to a square, then resize.
            var side = Math.Max(image.Width, image.Height);
            inputs.Add(new ParityInput(NameOf("detector", photo), ParityNetwork.Detector, photo, DetectorSize, DetectorSize,
                image.CropResize(SKRectI.Create(0, 0, side, side), DetectorSize, DetectorSize)));
        }
        return inputs;
    }

    /// <summary>Writes each input as &lt;name&gt;.f32 plus an inputs.json index, for tests/parity/generate-fixtures.js.</summary>
    public static void Write(string outputDirectory, IReadOnlyList<ParityInput> inputs)
    {
        Directory.CreateDirectory(outputDirectory);
        var index = new List<object>();
        foreach (var input in inputs)
        {
            var file = input.Name + ".f32";
            var bytes = input.ToBytes();
            File.WriteAllBytes(Path.Combine(outputDirectory, file), bytes);
            index.Add(new
            {
                name = input.Name,
                network = input.Network.ToString().ToLowerInvariant(),
                source = input.Source,
                shape = new[] { input.Height, input.Width, 3 },
                file,
                sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)),
            });
        }
        var json = JsonSerializer.Serialize(
            new { generator = "FaceService.ModelBuilder parity-inputs", inputs = index },
            new JsonSerializerOptions { WriteIndented = true });
        File.WriteAllText(Path.Combine(outputDirectory, "inputs.json"), json);
    }

    internal static string NameOf(string network, string photo) =>
        $"{network}-{Path.GetFileNameWithoutExtension(photo).Replace('_', '-').ToLowerInvariant()}";

    // SplitMix64: a tiny, fully specified generator, so the noise is the same on every runtime.
    internal static float[] UniformNoise(ulong seed, int count)
    {
        var values = new float[count];
        var state = seed;
        for (var i = 0; i < count; i++)
        {
            state += 0x9E3779B97F4A7C15UL;
            var z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            // 24 random bits scaled to [0, 255): exactly representable, no rounding differences anywhere.
            values[i] = (z >> 40) * (255f / (1 << 24));
        }
        return values;
    }

    /// <summary>An RGB image decoded to bytes, with a deterministic crop-and-resize.</summary>
    internal sealed class DecodedImage(int width, int height, byte[] rgba)
    {
        public int Width { get; } = width;
        public int Height { get; } = height;

        public static DecodedImage Load(string path)
        {
            using var codec = SKCodec.Create(path)
                ?? throw new InvalidDataException($"{path}: not a decodable image.");
            var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
            using var bitmap = new SKBitmap(info);
            var result = codec.GetPixels(info, bitmap.GetPixels());
            if (result != SKCodecResult.Success)
            {
                throw new InvalidDataException($"{path}: decoding failed ({result}).");
            }
            return new DecodedImage(info.Width, info.Height, bitmap.GetPixelSpan().ToArray());
        }

        /// <summary>
        /// Resamples <paramref name="region"/> (which may extend past the image; outside is black, like face-api's zero
        /// padding) to width x height of the same aspect ratio, with half-pixel centres. Each output pixel averages an
        /// n x n grid of bilinear samples, n = ceil(downscale factor), so large downscales do not alias; results are
        /// rounded to whole values.
        /// </summary>
        public float[] CropResize(SKRectI region, int width, int height)
        {
            if ((long)region.Width * height != (long)region.Height * width)
            {
                throw new ArgumentException($"Region {region} does not have the aspect ratio of {width}x{height}.", nameof(region));
            }

            var scale = (double)region.Width / width;
            var samples = Math.Max(1, (int)Math.Ceiling(scale));
            var output = new float[width * height * 3];
            Span<double> sum = stackalloc double[3];
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    sum.Clear();
                    for (var sy = 0; sy < samples; sy++)
                    {
                        var srcY = region.Top + (y + (sy + 0.5) / samples) * scale - 0.5;
                        for (var sx = 0; sx < samples; sx++)
                        {
                            var srcX = region.Left + (x + (sx + 0.5) / samples) * scale - 0.5;
                            AddBilinear(region, srcX, srcY, sum);
                        }
                    }
                    var o = (y * width + x) * 3;
                    for (var c = 0; c < 3; c++)
                    {
                        output[o + c] = (float)Math.Round(sum[c] / (samples * samples));
                    }
                }
            }
            return output;
        }

        private void AddBilinear(SKRectI region, double x, double y, Span<double> sum)
        {
            var x0 = (int)Math.Floor(x);
            var y0 = (int)Math.Floor(y);
            var fx = x - x0;
            var fy = y - y0;
            for (var c = 0; c < 3; c++)
            {
                var top = Pixel(region, x0, y0, c) * (1 - fx) + Pixel(region, x0 + 1, y0, c) * fx;
                var bottom = Pixel(region, x0, y0 + 1, c) * (1 - fx) + Pixel(region, x0 + 1, y0 + 1, c) * fx;
                sum[c] += top * (1 - fy) + bottom * fy;
            }
        }

        // Samples clamp to the region's edges (as a resize of the cropped, padded tensor would); region pixels
        // outside the image are black.
        private double Pixel(SKRectI region, int x, int y, int channel)
        {
            x = Math.Clamp(x, region.Left, region.Right - 1);
            y = Math.Clamp(y, region.Top, region.Bottom - 1);
            return x < 0 || y < 0 || x >= Width || y >= Height ? 0 : rgba[(y * Width + x) * 4 + channel];
        }
    }
}

/// <summary>parity-inputs: writes the parity inputs that a reference run of the original networks reads (tests/parity).</summary>
public static class ParityInputsCommand
{
    public static readonly Command Command = new(
        "parity-inputs",
        "parity-inputs --out <folder> [--set face-api|mtcnn, default face-api] [--faces <photo folder, default ../shared/data/faces>]",
        Run);

    private static int Run(ToolArguments args)
    {
        string output = Path.GetFullPath(args.Required("out"));
        string set = args.Get("set") ?? "face-api";
        string faces = Path.GetFullPath(args.Get("faces") ?? Path.Combine("..", "shared", "data", "faces"));
        args.RejectUnread();

        if (!Directory.Exists(faces))
        {
            throw new UsageException($"Photo folder {faces} does not exist.");
        }
        IReadOnlyList<ParityInput> inputs = set switch
        {
            "face-api" => ParityInputs.Generate(faces),
            "mtcnn" => MtcnnParityInputs.Generate(faces),
            _ => throw new UsageException($"Unknown set '{set}': face-api or mtcnn."),
        };
        ParityInputs.Write(output, inputs);
        Console.WriteLine($"Wrote {inputs.Count} parity inputs to {output}");
        return 0;
    }
}
