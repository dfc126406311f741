namespace FaceService.Core.Naming;

/// <summary>
/// A caller-chosen name, checked once where it enters (the API's binding, the command line, the importer) and trusted
/// everywhere after: services and stores take the type, not a string, so no layer checks it again.
/// </summary>
public interface INameValue<TSelf> where TSelf : struct, INameValue<TSelf>
{
    /// <summary>The name in its stored form (NFC).</summary>
    string Value { get; }

    /// <summary>The name, or null and why not; an absent text gives the type's default where it has one.</summary>
    static abstract TSelf? TryCreate(string? text, out string? problem);
}

/// <summary>Making names from caller input.</summary>
public static class NameValue
{
    /// <summary>The name, or a validation_failed error naming <paramref name="field"/>.</summary>
    public static TName Parse<TName>(string? text, string field) where TName : struct, INameValue<TName> =>
        TName.TryCreate(text, out var problem) ?? throw new Services.FaceServiceException(Services.FaceServiceError.ValidationFailed, problem!, field);
}
