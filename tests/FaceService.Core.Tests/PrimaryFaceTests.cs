using FaceService.Core.Faces;

namespace FaceService.Core.Tests;

public class PrimaryFaceTests
{
    [Fact]
    public void A_centred_face_beats_a_bigger_sharper_face_at_the_edge()
    {
        // Two lfw-dev photos as the SSD saw them at a low score threshold: the subject in the middle of the 250x250 photo,
        // scored low (a hand, a turned head), a bystander near the edge scored high.
        (FaceBox, float)[] wendySelig = [(new FaceBox(147, 13, 102, 130), 0.79f), (new FaceBox(86, 74, 111, 125), 0.22f)];
        (FaceBox, float)[] franklinDamann = [(new FaceBox(14, 146, 64, 84), 0.93f), (new FaceBox(110, 69, 78, 94), 0.41f)];

        Assert.Equal(1, PrimaryFace.Select(wendySelig, 250, 250));
        Assert.Equal(1, PrimaryFace.Select(franklinDamann, 250, 250));
    }

    [Fact]
    public void A_much_bigger_face_wins_even_off_centre()
    {
        // A close-up of one person slightly left, a small face far behind in the middle.
        (FaceBox, float)[] faces = [(new FaceBox(100, 150, 600, 700), 0.98f), (new FaceBox(470, 480, 60, 70), 0.9f)];

        Assert.Equal(0, PrimaryFace.Select(faces, 1000, 1000));
    }

    [Fact]
    public void Among_faces_alike_the_surer_one_wins_and_ties_keep_the_detector_order()
    {
        var box = new FaceBox(100, 100, 50, 50);

        Assert.Equal(1, PrimaryFace.Select([(box, 0.6f), (box, 0.9f)], 250, 250));
        Assert.Equal(0, PrimaryFace.Select([(box, 0.9f), (box, 0.9f)], 250, 250));
    }

    [Fact]
    public void Prominence_falls_with_distance_from_the_centre_and_vanishes_in_a_corner()
    {
        var centre = PrimaryFace.Prominence(new FaceBox(90, 90, 20, 20), 1f, 200, 200);
        var halfway = PrimaryFace.Prominence(new FaceBox(40, 40, 20, 20), 1f, 200, 200);
        var corner = PrimaryFace.Prominence(new FaceBox(-10, -10, 20, 20), 1f, 200, 200);

        Assert.Equal(20, centre, 6);
        Assert.Equal(20 * 0.75 * 0.75, halfway, 6);
        Assert.Equal(0, corner, 6);
        Assert.Throws<ArgumentException>(() => PrimaryFace.Select([], 10, 10));
    }
}
