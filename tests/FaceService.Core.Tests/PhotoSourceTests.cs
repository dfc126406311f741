using FaceService.Core.Services;

namespace FaceService.Core.Tests;

/// <summary>The client's photo name as index keeps it: whatever a client sends there is stored without failing.</summary>
public sealed class PhotoSourceTests
{
    [Theory]
    [InlineData("IMG_0042.jpg", "IMG_0042.jpg")]
    [InlineData("album/2024/IMG_0042.jpg", "album/2024/IMG_0042.jpg")]
    [InlineData("bad\0name\r\n.jpg", "badname.jpg")]
    [InlineData("  spaced.jpg ", "spaced.jpg")]
    [InlineData("\0\u0007", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void Control_characters_and_padding_go(string? fileName, string? kept) =>
        Assert.Equal(kept, PeopleService.PhotoSource(fileName));

    [Fact]
    public void A_long_name_keeps_its_end_and_never_half_a_character()
    {
        var name = new string('a', 2000) + "/IMG_0042.jpg";
        var kept = PeopleService.PhotoSource(name)!;
        Assert.Equal(PeopleService.MaxSourceLength, kept.Length);
        Assert.EndsWith("/IMG_0042.jpg", kept);

        // A surrogate pair cut at the start of the kept part: its low half goes too.
        var emoji = "😀" + new string('b', PeopleService.MaxSourceLength - 1);
        var cut = PeopleService.PhotoSource(emoji)!;
        Assert.False(char.IsLowSurrogate(cut[0]));
        Assert.Equal(PeopleService.MaxSourceLength - 1, cut.Length);
    }
}
