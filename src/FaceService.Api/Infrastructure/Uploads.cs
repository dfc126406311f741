using FaceService.Core.Services;

namespace FaceService.Api.Infrastructure;

/// <summary>Form files as the services' image inputs, named by the field they came in.</summary>
public static class Uploads
{
    public static async Task<ImageInput> ReadAsync(IFormFile file, string field, CancellationToken ct)
    {
        var bytes = new byte[file.Length];
        await using (var stream = file.OpenReadStream())
            await stream.ReadExactlyAsync(bytes, ct);
        return new ImageInput(field, file.FileName, bytes);
    }

    /// <summary>Several files of one field, as "field[0]", "field[1]", ...</summary>
    public static async Task<IReadOnlyList<ImageInput>> ReadAllAsync(IReadOnlyList<IFormFile> files, string field, CancellationToken ct)
    {
        var inputs = new ImageInput[files.Count];
        for (var i = 0; i < files.Count; i++) inputs[i] = await ReadAsync(files[i], $"{field}[{i}]", ct);
        return inputs;
    }
}
