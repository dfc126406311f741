using FaceService.Core.Imaging;

namespace FaceService.Core.Faces;

/// <summary>How much fine detail an aligned face chip holds: what blur and upscaled small faces lack.</summary>
public static class ChipSharpness
{
    /// <summary>
    /// The spread of the luma's Laplacian over the spread of the luma itself, on the chip's central square (the inner
    /// 70 of dlib's 150 px: eyes, nose and mouth, no hair or background). Dividing by the brightness spread makes it
    /// independent of contrast and exposure; on the chip, blur is measured relative to the face, whatever the photo's size.
    /// </summary>
    public static float Measure(RgbaImage chip)
    {
        var (from, to) = (chip.Width * 40 / 150, chip.Width * 110 / 150);
        var (fromY, toY) = (chip.Height * 40 / 150, chip.Height * 110 / 150);
        double sum = 0, sumSquares = 0, laplacianSum = 0, laplacianSquares = 0;
        for (var y = fromY; y < toY; y++)
        for (var x = from; x < to; x++)
        {
            var centre = Luma(chip, x, y);
            var laplacian = Luma(chip, x - 1, y) + Luma(chip, x + 1, y) + Luma(chip, x, y - 1) + Luma(chip, x, y + 1) - 4 * centre;
            sum += centre;
            sumSquares += centre * centre;
            laplacianSum += laplacian;
            laplacianSquares += laplacian * laplacian;
        }
        var n = (double)(to - from) * (toY - fromY);
        var brightness = Variance(sum, sumSquares, n);
        return brightness <= 1e-6 ? 0 : (float)Math.Sqrt(Variance(laplacianSum, laplacianSquares, n) / brightness);
    }

    private static double Variance(double sum, double sumSquares, double n) => Math.Max(0, sumSquares / n - sum / n * (sum / n));

    private static double Luma(RgbaImage image, int x, int y)
    {
        var p = (y * image.Width + x) * 4;
        return 0.299 * image.Pixels[p] + 0.587 * image.Pixels[p + 1] + 0.114 * image.Pixels[p + 2];
    }
}
