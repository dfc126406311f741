using SkiaSharp;

namespace FaceService.ModelBuilder;

/// <summary>
/// Parity inputs for the three MTCNN nets (tests/parity/mtcnn), built like <see cref="ParityInputs"/>: decoded once
/// with SkiaSharp, resampled by plain managed code to whole values, plus seeded noise. P-Net's inputs have the size
/// its TFLite file is fixed at (960x1280), R-Net's and O-Net's theirs (24x24, 48x48).
/// </summary>
public static class MtcnnParityInputs
{
    public const int PNetHeight = 960;
    public const int PNetWidth = 1280;
    public const int RNetSize = 24;
    public const int ONetSize = 48;

    // A group photo with six small faces, cut to 4:3 and enlarged: P-Net's windows see faces and background.
    private const string PNetPhoto = "_group/2008_002470.jpg";

    // A group photo shrunk to three pyramid scales side by side on black: faces of 10-60 px, P-Net's working range.
    private const string PNetPyramidPhoto = "_group/2008_002506.jpg";

    // Candidate boxes as R-Net and O-Net get them: LFW faces (centred in 250x250), tight and loose, a face cut in
    // half, and no face at all.
    private static readonly (string Photo, SKRectI Box)[] Crops =
    [
        ("George_Clooney/George_Clooney_0001.jpg", SKRectI.Create(70, 70, 110, 110)),
        ("Mary_Carey/Mary_Carey_0002.jpg", SKRectI.Create(55, 55, 140, 140)),
        ("Juanes/Juanes_0002.jpg", SKRectI.Create(80, 70, 96, 96)),
        ("Barbra_Streisand/Barbra_Streisand_0002.jpg", SKRectI.Create(125, 70, 110, 110)),
        ("_noface/dog.jpg", SKRectI.Create(150, 60, 160, 160)),
    ];

    private static readonly ulong[] NoiseSeeds = [20261203];

    public static IReadOnlyList<ParityInput> Generate(string facesDirectory)
    {
        var inputs = new List<ParityInput>();
        var photo = ParityInputs.DecodedImage.Load(Path.Combine(facesDirectory, PNetPhoto));
        int cropHeight = Math.Min(photo.Height, photo.Width * 3 / 4) / 3 * 3;
        inputs.Add(new ParityInput(ParityInputs.NameOf("pnet", PNetPhoto), ParityNetwork.MtcnnPNet, PNetPhoto, PNetHeight, PNetWidth,
            photo.CropResize(SKRectI.Create(0, 0, cropHeight / 3 * 4, cropHeight), PNetWidth, PNetHeight)));
        inputs.Add(new ParityInput(ParityInputs.NameOf("pnet-pyramid", PNetPyramidPhoto), ParityNetwork.MtcnnPNet,
            $"{PNetPyramidPhoto} at 1/2, 1/4 and 1/8 of 1280 px wide", PNetHeight, PNetWidth,
            Pyramid(ParityInputs.DecodedImage.Load(Path.Combine(facesDirectory, PNetPyramidPhoto)))));
        foreach (ulong seed in NoiseSeeds)
        {
            inputs.Add(new ParityInput($"pnet-noise-{seed}", ParityNetwork.MtcnnPNet, $"uniform 0..255, seed {seed}", PNetHeight, PNetWidth,
                ParityInputs.UniformNoise(seed, PNetHeight * PNetWidth * 3)));
        }

        foreach ((ParityNetwork network, string stage, int size) in new[] { (ParityNetwork.MtcnnRNet, "rnet", RNetSize), (ParityNetwork.MtcnnONet, "onet", ONetSize) })
        {
            foreach ((string cropPhoto, SKRectI box) in Crops)
            {
                var image = ParityInputs.DecodedImage.Load(Path.Combine(facesDirectory, cropPhoto));
                inputs.Add(new ParityInput(ParityInputs.NameOf(stage, cropPhoto), network, $"{cropPhoto} {box}", size, size,
                    image.CropResize(box, size, size)));
            }

            foreach (ulong seed in NoiseSeeds)
            {
                inputs.Add(new ParityInput($"{stage}-noise-{seed}", network, $"uniform 0..255, seed {seed}", size, size,
                    ParityInputs.UniformNoise(seed, size * size * 3)));
            }
        }

        return inputs;
    }

    /// <summary>The photo at widths 640, 320 and 160 side by side from the top-left corner, the rest black.</summary>
    private static float[] Pyramid(ParityInputs.DecodedImage image)
    {
        var canvas = new float[PNetHeight * PNetWidth * 3];
        int left = 0;
        for (int width = PNetWidth / 2; width >= PNetWidth / 8; width /= 2)
        {
            int height = (int)Math.Round((double)image.Height * width / image.Width);
            // The region keeps the output's aspect ratio exactly; the photo fills it up to rounding.
            float[] scaled = image.CropResize(SKRectI.Create(0, 0, image.Width, (int)Math.Round((double)image.Width * height / width)), width, height);
            for (int y = 0; y < height; y++)
            {
                Array.Copy(scaled, y * width * 3, canvas, (y * PNetWidth + left) * 3, width * 3);
            }

            left += width;
        }

        return canvas;
    }
}
