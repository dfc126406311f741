namespace FaceService.Core.Naming;

/// <summary>
/// A collection: 1 to 64 of ASCII letters, digits, '_', '.', '-', starting with a letter or digit (it appears in URLs,
/// metrics and key scopes, so it is kept plain). No name, and <c>default</c>, is the collection "default".
/// </summary>
[System.ComponentModel.TypeConverter(typeof(NameTypeConverter<CollectionName>))]
public readonly struct CollectionName : INameValue<CollectionName>, IEquatable<CollectionName>
{
    public const string DefaultName = "default";
    public const int MaxLength = 64;

    private readonly string? _value;

    private CollectionName(string value) => _value = value;

    public static CollectionName Default => default;

    public string Value => _value ?? DefaultName;

    /// <summary>The name, or <see cref="Default"/> for a null or empty text.</summary>
    public static CollectionName? TryCreate(string? text, out string? problem)
    {
        problem = null;
        if (string.IsNullOrEmpty(text)) return Default;
        if (IsPlain(text)) return new CollectionName(text);
        problem = $"A collection name is 1 to {MaxLength} letters, digits, '_', '.' or '-', starting with a letter or digit.";
        return null;
    }

    /// <exception cref="Services.FaceServiceException">validation_failed naming <paramref name="field"/>.</exception>
    public static CollectionName Parse(string? text, string field = "collection") => NameValue.Parse<CollectionName>(text, field);

    public bool Equals(CollectionName other) => string.Equals(Value, other.Value, StringComparison.Ordinal);
    public override bool Equals(object? obj) => obj is CollectionName other && Equals(other);
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Value);
    public override string ToString() => Value;

    /// <summary>The stored form: a name is always valid text, so this never fails.</summary>
    public static implicit operator string(CollectionName name) => name.Value;

    public static bool operator ==(CollectionName left, CollectionName right) => left.Equals(right);
    public static bool operator !=(CollectionName left, CollectionName right) => !left.Equals(right);

    private static bool IsPlain(string text) =>
        text.Length <= MaxLength && char.IsAsciiLetterOrDigit(text[0]) && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');
}
