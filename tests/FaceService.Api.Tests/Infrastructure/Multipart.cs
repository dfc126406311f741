using System.Net.Http.Headers;

namespace FaceService.Api.Tests.Infrastructure;

/// <summary>Builds multipart/form-data bodies the way a browser or curl -F does.</summary>
public sealed class Multipart
{
    private readonly MultipartFormDataContent _content = new();

    public Multipart File(string field, string path) => Bytes(field, System.IO.File.ReadAllBytes(path), System.IO.Path.GetFileName(path));

    public Multipart Bytes(string field, byte[] bytes, string fileName, string contentType = "image/jpeg") =>
        Content(field, new ByteArrayContent(bytes), fileName, contentType);

    /// <summary>A file part with any content (e.g. one that streams slowly).</summary>
    public Multipart Content(string field, HttpContent part, string fileName, string contentType = "image/jpeg")
    {
        part.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        _content.Add(part, field, fileName);
        return this;
    }

    public Multipart Field(string field, string value)
    {
        _content.Add(new StringContent(value), field);
        return this;
    }

    public MultipartFormDataContent Build() => _content;

    public static implicit operator HttpContent(Multipart multipart) => multipart._content;
}
