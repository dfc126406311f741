namespace FaceService.Core.Calibration;

/// <summary>
/// From one comparison to a search of a gallery. A stranger searched against N enrolled faces is compared with each;
/// if one comparison accepts with probability p (the false-accept rate), the stranger is matched to someone with
/// probability 1 − (1 − p)^N: the false-positive identification rate (FPIR, NIST's 1:N measure). Comparisons with
/// several faces of one person are not independent, so counting faces rather than people errs on the safe side.
/// </summary>
public static class GalleryRates
{
    /// <summary>1 − (1 − <paramref name="falseAcceptRate"/>)^<paramref name="galleryFaces"/>.</summary>
    public static double FalsePositiveIdentificationRate(double falseAcceptRate, long galleryFaces)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(galleryFaces);
        if (!(falseAcceptRate is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(falseAcceptRate), falseAcceptRate, "A rate lies in [0, 1].");
        return falseAcceptRate == 1 ? (galleryFaces > 0 ? 1 : 0) : -ExpM1(galleryFaces * Log1P(-falseAcceptRate));
    }

    /// <summary>
    /// The per-comparison false-accept rate p with 1 − (1 − p)^N = <paramref name="falsePositiveIdentificationRate"/>,
    /// for a gallery of one face at least.
    /// </summary>
    public static double FalseAcceptRateFor(double falsePositiveIdentificationRate, long galleryFaces)
    {
        if (!(falsePositiveIdentificationRate is > 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(falsePositiveIdentificationRate), falsePositiveIdentificationRate, "A rate lies in (0, 1].");
        return falsePositiveIdentificationRate == 1 ? 1 : -ExpM1(Log1P(-falsePositiveIdentificationRate) / Math.Max(galleryFaces, 1));
    }

    // ln(1 + x) and e^x − 1 without the cancellation of the naive forms for the tiny rates (1e-9) this works with.
    private static double Log1P(double x) => Math.Abs(x) < 1e-4 ? x * (1 - x * (0.5 - x / 3)) : Math.Log(1 + x);

    private static double ExpM1(double x) => Math.Abs(x) < 1e-5 ? x * (1 + x * (0.5 + x / 6)) : Math.Exp(x) - 1;
}
