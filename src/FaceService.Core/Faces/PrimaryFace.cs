namespace FaceService.Core.Faces;

/// <summary>
/// Which face of a photo a 1:1 request means (enroll, verify, identify without allFaces) when the photo shows several:
/// the most prominent one, weighing how big it is, how near the centre it is and how sure the detector is. A portrait
/// is framed on its subject, so a bigger face at the edge (a bystander close to the camera) loses to a face in the
/// middle unless it is much bigger.
/// </summary>
public static class PrimaryFace
{
    /// <summary>
    /// prominence = √area · (1 − (r/R)²)² · (1 + score) / 2, where r is the distance from the box centre to the image
    /// centre and R half the image diagonal: a face at the centre keeps its full size, one halfway to a corner 56 % of
    /// it, one in a corner nothing. The detector's score only tips the balance (a sure face counts up to twice an unsure
    /// one): a subject the detector is unsure of (a hand on the brow, soft focus) still beats a sharp bystander at the
    /// edge. Ties go to the earlier face (the detector's order, largest first).
    /// </summary>
    public static int Select(IReadOnlyList<(FaceBox Box, float Score)> faces, int imageWidth, int imageHeight)
    {
        if (faces.Count == 0) throw new ArgumentException("No faces to choose from.", nameof(faces));
        var best = 0;
        var bestProminence = double.MinValue;
        for (var i = 0; i < faces.Count; i++)
        {
            var prominence = Prominence(faces[i].Box, faces[i].Score, imageWidth, imageHeight);
            if (prominence > bestProminence) (best, bestProminence) = (i, prominence);
        }
        return best;
    }

    public static double Prominence(FaceBox box, float score, int imageWidth, int imageHeight)
    {
        var dx = box.X + box.Width / 2 - imageWidth / 2.0;
        var dy = box.Y + box.Height / 2 - imageHeight / 2.0;
        var halfDiagonalSquared = (imageWidth * (double)imageWidth + imageHeight * (double)imageHeight) / 4;
        var centrality = Math.Max(0, 1 - (dx * dx + dy * dy) / halfDiagonalSquared);
        return Math.Sqrt(Math.Max(0, box.Area)) * centrality * centrality * (1 + score) / 2;
    }
}
