using FaceService.Core.Embeddings;
using FaceService.Core.Faces;
using FaceService.Core.Services;
using FaceService.Core.Storage;

namespace FaceService.Storage;

/// <summary>
/// What the stores accept from their callers, checked at their door: the service validates requests before they get
/// here, but the store is also called by the command line and the benchmarks, and a bad row must never reach the table.
/// </summary>
internal static class StoreInput
{
    public static void Require(bool condition, string message, string target)
    {
        if (!condition) throw new FaceServiceException(FaceServiceError.ValidationFailed, message, target);
    }

    public static void RequireModelId(string modelId) =>
        Require(!string.IsNullOrEmpty(modelId) && modelId.Length <= StoreLimits.MaxModelIdLength,
            $"A model id is 1 to {StoreLimits.MaxModelIdLength} characters.", "modelId");

    // An all-zero code stands for no direction: it has no distance to anything.
    public static void RequireCode(sbyte[]? code, string target) =>
        Require(code is { Length: EmbeddingQuantizer.Dimensions } && code.AsSpan().IndexOfAnyExcept((sbyte)0) >= 0,
            $"A face code is {EmbeddingQuantizer.Dimensions} bytes, not all zero.", target);

    /// <returns>The face's box.</returns>
    public static FaceBox RequireFace(NewFace? face, string target)
    {
        Require(face is not null, "A face is required.", target);
        Require(face!.Subject.Value is not null, "A face needs a subject id.", $"{target}.subject");
        RequireCode(face.Code, $"{target}.code");
        var box = face.Box;
        Require(float.IsFinite(box.X) && float.IsFinite(box.Y) && float.IsFinite(box.Width) && float.IsFinite(box.Height)
                && box.Width > 0 && box.Height > 0, "A face box needs finite coordinates and a positive size.", $"{target}.box");
        Require(face.Score is >= 0 and <= 1, "A face score is in [0, 1].", $"{target}.score");
        Require(IsSha256Hex(face.ImageSha256), "An image hash is 64 lower-case hex digits (SHA-256).", $"{target}.imageSha256");
        return box;
    }

    private static bool IsSha256Hex(string? hash) =>
        hash is { Length: 64 } && hash.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}
