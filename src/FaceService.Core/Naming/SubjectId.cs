namespace FaceService.Core.Naming;

/// <summary>
/// The caller's id for a person: 1 to 256 characters of text in NFC (see <see cref="NameText"/>), without '/', not blank
/// and not padded with white space. Ids are compared by their stored form, so " bob" and "bob" would differ: padding is
/// refused rather than trimmed. '/' is refused because an id must fit in one URL path segment (ASP.NET Core leaves %2F
/// encoded in route values), or the subject could not be read or erased by id. Make one with
/// <see cref="Parse"/> or <see cref="TryCreate"/>; <c>default</c> is not an id.
/// </summary>
[System.ComponentModel.TypeConverter(typeof(NameTypeConverter<SubjectId>))]
public readonly struct SubjectId : INameValue<SubjectId>, IEquatable<SubjectId>
{
    public const int MaxLength = 256;

    private SubjectId(string value) => Value = value;

    public string Value { get; }

    public static SubjectId? TryCreate(string? text, out string? problem)
    {
        if (string.IsNullOrWhiteSpace(text)) problem = "A subject id is required.";
        else if (NameText.Normalize(text, "A subject id", out problem) is not { } normal) { }
        else if (normal.Length > MaxLength) problem = $"A subject id has at most {MaxLength} characters.";
        else if (normal.Contains('/')) problem = "A subject id may not contain '/'.";
        else if (normal.Trim().Length != normal.Length) problem = "A subject id may not start or end with white space.";
        else return new SubjectId(normal);
        return null;
    }

    /// <exception cref="Services.FaceServiceException">validation_failed naming <paramref name="field"/>.</exception>
    public static SubjectId Parse(string? text, string field = "subject") => NameValue.Parse<SubjectId>(text, field);

    public bool Equals(SubjectId other) => string.Equals(Value, other.Value, StringComparison.Ordinal);
    public override bool Equals(object? obj) => obj is SubjectId other && Equals(other);
    public override int GetHashCode() => Value is null ? 0 : StringComparer.Ordinal.GetHashCode(Value);
    public override string ToString() => Value;

    /// <summary>The stored form: a name is always valid text, so this never fails.</summary>
    public static implicit operator string(SubjectId id) => id.Value;

    public static bool operator ==(SubjectId left, SubjectId right) => left.Equals(right);
    public static bool operator !=(SubjectId left, SubjectId right) => !left.Equals(right);
}
