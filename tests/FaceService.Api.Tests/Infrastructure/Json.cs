using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FaceService.Api.Tests.Infrastructure;

public static class Json
{
    /// <summary>The body as JSON after checking the status (the body is in the failure message, to see why).</summary>
    public static async Task<JsonNode> ReadAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body) ?? throw new JsonException("Empty body");
    }

    /// <summary>Checks an RFC 7807 answer: status, content type, stable code, and the fields every problem has.</summary>
    public static async Task<JsonNode> ReadProblemAsync(this HttpResponseMessage response, HttpStatusCode expected, string code)
    {
        var problem = await response.ReadAsync(expected);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(code, (string?)problem["code"]);
        Assert.Equal((int)expected, (int?)problem["status"]);
        Assert.Equal("urn:faceservice:problem:" + code, (string?)problem["type"]);
        Assert.False(string.IsNullOrEmpty((string?)problem["title"]));
        Assert.False(string.IsNullOrEmpty((string?)problem["traceId"]));
        return problem;
    }
}
