using System.Text.RegularExpressions;

namespace FaceService.Core.Services;

/// <summary>Rules for the caller-chosen names: subject ids and collection names.</summary>
public static partial class Identifiers
{
    public const string DefaultCollection = "default";
    public const int MaxSubjectLength = 256;
    public const int MaxCollectionLength = 64;
    public const string CollectionPattern = "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$";

    /// <summary>Null if valid, else why not. A subject id is any text of 1..256 characters without control characters or
    /// '/', not blank and not padded with spaces (ids are compared byte for byte, so " bob" and "bob" would differ).
    /// '/' is refused because an id must fit in one URL path segment (ASP.NET Core leaves %2F encoded in route values),
    /// or the subject could not be read or erased by id.</summary>
    public static string? CheckSubject(string? subject)
    {
        if (string.IsNullOrWhiteSpace(subject)) return "A subject id is required.";
        if (subject.Length > MaxSubjectLength) return $"A subject id has at most {MaxSubjectLength} characters.";
        if (subject.Any(char.IsControl)) return "A subject id may not contain control characters.";
        if (subject.Contains('/')) return "A subject id may not contain '/'.";
        if (subject.Trim().Length != subject.Length) return "A subject id may not start or end with white space.";
        return null;
    }

    /// <summary>Null if valid, else why not: 1..64 of letters, digits, '_', '.', '-', starting with a letter or digit.</summary>
    public static string? CheckCollection(string? collection)
    {
        if (string.IsNullOrEmpty(collection)) return "A collection name is required.";
        return CollectionRegex().IsMatch(collection)
            ? null
            : $"A collection name is 1 to {MaxCollectionLength} letters, digits, '_', '.' or '-', starting with a letter or digit.";
    }

    public static string RequireSubject(string? subject, string field = "subject") =>
        CheckSubject(subject) is { } problem ? throw new FaceServiceException(FaceServiceError.ValidationFailed, problem, field) : subject!;

    /// <summary>The collection, or <see cref="DefaultCollection"/> when none is given.</summary>
    public static string RequireCollection(string? collection, string field = "collection")
    {
        var name = string.IsNullOrEmpty(collection) ? DefaultCollection : collection;
        return CheckCollection(name) is { } problem ? throw new FaceServiceException(FaceServiceError.ValidationFailed, problem, field) : name;
    }

    [GeneratedRegex(CollectionPattern, RegexOptions.CultureInvariant)]
    private static partial Regex CollectionRegex();
}
