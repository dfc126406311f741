using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using FaceService.Api.Tests.Infrastructure;

namespace FaceService.Api.Tests.Fuzz;

/// <summary>
/// Sends fuzz cases and checks the one rule they all share: the answer is a success or a 4xx problem details with a
/// stable code (never a 5xx, never a dropped connection). Counts the cases and their outcomes for the test output.
/// </summary>
public sealed class FuzzClient(HttpClient client, ITestOutputHelper output)
{
    /// <summary>The upload endpoints, each with the fields that make a complete request around one image.</summary>
    public static readonly IReadOnlyList<(string Path, string ImageField, Func<Multipart, Multipart> OtherFields)> UploadEndpoints =
    [
        ("/v1/detect", "image", f => f),
        ("/v1/enroll", "image", f => f.Field("subject", "fuzz-subject").Field("collection", Collection)),
        ("/v1/verify", "image1", f => f.File("image2", DevPhotos.People[0].Photos[0])),
        ("/v1/identify", "image", f => f.Field("collection", Collection).Field("allFaces", "true")),
        ("/v1/cluster", "image", f => f),
        ("/v1/index", "image", f => f.Field("collection", Collection)),
    ];

    public const string Collection = "apitest-fuzz";

    private readonly Dictionary<string, int> _outcomes = [];

    public HttpClient Http => client;

    public int Cases { get; private set; }

    /// <summary>One image to one upload endpoint (chosen by <paramref name="endpointIndex"/> modulo their number).</summary>
    public Task<(int Status, string Code, JsonNode? Body)> UploadAsync(int endpointIndex, byte[] image, string fileName, params string[] allowedCodes)
    {
        var (path, field, otherFields) = UploadEndpoints[endpointIndex % UploadEndpoints.Count];
        return SendAsync(() => client.PostAsync(path, otherFields(new Multipart().Bytes(field, image, fileName))), allowedCodes);
    }

    /// <summary>
    /// Sends one case and checks the answer: 2xx, or 4xx problem details whose code is one of
    /// <paramref name="allowedCodes"/> (any code when none are given).
    /// </summary>
    public async Task<(int Status, string Code, JsonNode? Body)> SendAsync(Func<Task<HttpResponseMessage>> send, params string[] allowedCodes)
    {
        Cases++;
        using var response = await send();
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status < 500, $"Answered {status}: {text}");
        JsonNode? body = null;
        if (text.Length > 0) body = JsonNode.Parse(text);
        var code = "";
        if (status >= 400)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            code = (string?)body?["code"] ?? "";
            Assert.False(string.IsNullOrEmpty(code), $"Problem without a code: {text}");
            Assert.Equal(status, (int?)body?["status"]);
            if (allowedCodes.Length > 0) Assert.True(allowedCodes.Contains(code), $"Unexpected {status} {code}: {text}");
        }
        var outcome = status >= 400 ? $"{status} {code}" : status.ToString();
        _outcomes[outcome] = _outcomes.GetValueOrDefault(outcome) + 1;
        return (status, code, body);
    }

    public static ByteArrayContent Raw(byte[] body, string? contentType)
    {
        var content = new ByteArrayContent(body);
        if (contentType is not null) content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    public static ByteArrayContent Raw(string body, string? contentType) => Raw(System.Text.Encoding.UTF8.GetBytes(body), contentType);

    /// <summary>A part with a header the way a hand-written client might send it.</summary>
    public static ByteArrayContent Part(byte[] bytes, string contentDisposition, string? contentType = "image/jpeg")
    {
        var part = new ByteArrayContent(bytes);
        part.Headers.TryAddWithoutValidation("Content-Disposition", contentDisposition);
        if (contentType is not null) part.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return part;
    }

    public void Report(string what) =>
        output.WriteLine($"{what}: {Cases} cases: {string.Join(", ", _outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key} x{o.Value}"))}");
}
