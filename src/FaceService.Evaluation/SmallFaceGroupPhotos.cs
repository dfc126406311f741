namespace FaceService.Evaluation;

/// <summary>
/// The three group photos the accuracy bench and the API tests measure small faces on, 24 lfw-dev faces each, no
/// person twice across them: 4000x3000 with faces 60-100 px wide on a landscape (a team photo from a phone),
/// 2000x1500 with faces 40-70 px on plain grey, and 7200x5400 (39 MP, just under the default pixel limit) with faces
/// 40-80 px on a landscape.
/// </summary>
public static class SmallFaceGroupPhotos
{
    public static IReadOnlyList<(string Name, SyntheticGroupPhoto Photo)> Compose(LabelledPhotoSet lfw, LabelledPhotoSet dev)
    {
        var shuffled = lfw.PersonPhotos.DistinctBy(p => p.Person).OrderBy(p => p.Path, StringComparer.Ordinal).ToArray();
        new Random(20261203).Shuffle(shuffled);
        var landscape = dev.Read(dev.Photos.First(p => p.Path.EndsWith("pilatus800.jpg", StringComparison.Ordinal)));
        (string Name, int Width, int Height, float Min, float Max, byte[]? Background)[] specs =
        [
            ("4000x3000, faces 60-100 px, landscape", 4000, 3000, 60, 100, landscape),
            ("2000x1500, faces 40-70 px, plain", 2000, 1500, 40, 70, null),
            ("7200x5400, faces 40-80 px, landscape", 7200, 5400, 40, 80, landscape),
        ];
        return specs.Select((spec, i) =>
        {
            var portraits = shuffled.Skip(24 * i).Take(24).Select(p => (p.Person, lfw.Read(p))).ToList();
            return (spec.Name, SyntheticGroupPhoto.Compose(spec.Width, spec.Height, portraits, spec.Min, spec.Max, spec.Background, seed: i + 1));
        }).ToList();
    }
}
