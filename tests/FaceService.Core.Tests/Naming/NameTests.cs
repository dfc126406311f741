using FaceService.Core.Naming;
using FaceService.Core.Services;

namespace FaceService.Core.Tests.Naming;

public class NameTests
{
    private const string JoseNfc = "Jos\u00e9";
    private const string JoseNfd = "Jose\u0301";

    [Fact]
    public void A_subject_id_typed_in_either_unicode_form_is_one_id_stored_in_nfc()
    {
        var typedOnLinux = SubjectId.Parse(JoseNfc);
        var fromMacFolder = SubjectId.Parse(JoseNfd);

        Assert.Equal(typedOnLinux, fromMacFolder);
        Assert.Equal(JoseNfc, fromMacFolder.Value);
        Assert.Equal(typedOnLinux.GetHashCode(), fromMacFolder.GetHashCode());
        // Compatibility forms are different characters, not different spellings: NFC keeps them (NFKC would not).
        Assert.NotEqual(SubjectId.Parse("\ufb01le"), SubjectId.Parse("file"));
    }

    [Theory]
    [InlineData("evil\u202Eamd", "U+202E")]      // right-to-left override
    [InlineData("a\u200Db", "U+200D")]           // zero-width joiner
    [InlineData("a\u200Bb", "U+200B")]           // zero-width space
    [InlineData("\uFEFFalice", "U+FEFF")]        // byte order mark
    [InlineData("tab\there", "U+0009")]          // control (Cc)
    [InlineData("line\nbreak", "U+000A")]
    [InlineData("bell\u0007", "U+0007")]
    [InlineData("soft\u00ADhyphen", "U+00AD")]
    [InlineData("tag\U000E0041", "U+E0041")]     // a tag character, outside the BMP
    public void Control_and_invisible_formatting_characters_are_refused_by_code_point(string id, string codePoint)
    {
        var error = Assert.Throws<FaceServiceException>(() => SubjectId.Parse(id));
        Assert.Equal(FaceServiceError.ValidationFailed, error.Error);
        Assert.Equal("subject", error.Target);
        Assert.Contains(codePoint, error.Message);
    }

    [Fact]
    public void Text_that_is_not_unicode_is_refused_rather_than_failing_normalisation()
    {
        // Built at run time: attribute arguments would carry the lone surrogates as U+FFFD.
        foreach (var id in new[] { new string(['l', 'o', 'n', 'e', '\uD800', 'x']), new string('\uDC00', 1), "ok" + '\uDBFF' })
        {
            var error = Assert.Throws<FaceServiceException>(() => SubjectId.Parse(id, "image[0].subject"));
            Assert.Equal("image[0].subject", error.Target);
            Assert.Contains("surrogate", error.Message);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(" bob")]
    [InlineData("bob ")]
    [InlineData("a/b")]
    public void Blank_padded_or_slashed_ids_are_refused(string id)
    {
        Assert.Null(SubjectId.TryCreate(id, out var problem));
        Assert.NotNull(problem);
    }

    [Fact]
    public void Ids_are_measured_after_normalisation_and_may_use_any_script()
    {
        Assert.Equal("\u5f20\u4f1f", SubjectId.Parse("\u5f20\u4f1f").Value);
        Assert.Equal("\U0001F600 smiley", SubjectId.Parse("\U0001F600 smiley").Value);
        Assert.NotNull(SubjectId.TryCreate(new string('e', 256), out _));
        Assert.Null(SubjectId.TryCreate(new string('e', 257), out _));
        // 256 letters, each with a combining accent (512 UTF-16 units as typed), are 256 characters once composed.
        Assert.Equal(256, SubjectId.Parse(string.Concat(Enumerable.Repeat(JoseNfd[^2..], 256))).Value.Length);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void No_collection_name_is_the_default_collection(string? text)
    {
        var name = CollectionName.Parse(text);
        Assert.Equal("default", name.Value);
        Assert.Equal(CollectionName.Default, name);
        Assert.Equal(CollectionName.Parse("default"), default(CollectionName));
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("-leading-dash")]
    [InlineData("trailing-newline\n")]
    [InlineData("caf\u00e9")]
    [InlineData("*")]
    public void Collection_names_are_plain_ascii(string text)
    {
        var error = Assert.Throws<FaceServiceException>(() => CollectionName.Parse(text));
        Assert.Equal(FaceServiceError.ValidationFailed, error.Error);
        Assert.Equal("collection", error.Target);
    }

    [Fact]
    public void A_collection_name_is_at_most_64_characters()
    {
        Assert.Equal(64, CollectionName.Parse(new string('c', 64)).Value.Length);
        Assert.Null(CollectionName.TryCreate(new string('c', 65), out _));
    }
}
