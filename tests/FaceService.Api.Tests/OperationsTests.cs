using System.Net;
using FaceService.Api.Tests.Infrastructure;

namespace FaceService.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class OperationsTests(ApiFactory factory)
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task Liveness_and_readiness_report_the_database_and_the_models()
    {
        var live = await (await _client.GetAsync("/health/live")).ReadAsync(HttpStatusCode.OK);
        Assert.Equal("Healthy", (string?)live["status"]);

        var ready = await (await _client.GetAsync("/health/ready")).ReadAsync(HttpStatusCode.OK);
        var checks = ready["checks"]!.AsArray().ToDictionary(c => (string)c!["name"]!, c => (string)c!["status"]!);
        Assert.Equal("Healthy", checks["database"]);
        Assert.Equal("Healthy", checks["models"]);
    }

    [Fact]
    public async Task Metrics_count_requests_by_route_and_status_and_faces_embedded()
    {
        await _client.DetectOkAsync(DevPhotos.People[0].Photos[0]);
        await _client.PostAsync("/v1/identify", new Multipart().File("image", DevPhotos.People[0].Photos[0]).Field("k", "0"));
        await _client.IdentifyOkAsync("apitest-metrics", DevPhotos.People[0].Photos[0]);

        var response = await _client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("http_request_duration_seconds_count{code=\"200\",method=\"POST\",controller=\"Recognition\",action=\"Detect\",endpoint=\"v1/detect\"}", text);
        Assert.Contains("http_request_duration_seconds_count{code=\"400\",method=\"POST\",controller=\"Recognition\",action=\"Identify\",endpoint=\"v1/identify\"}", text);
        Assert.Contains("# TYPE faceservice_faces_embedded_total counter", text);
        var embedded = text.Split('\n').Single(l => l.StartsWith("faceservice_faces_embedded_total{operation=\"identify\"}"));
        Assert.True(Value(embedded) >= 1);
        Assert.Contains("# TYPE faceservice_recognition_batch_size histogram", text);
        var batches = Value(text.Split('\n').Single(l => l.StartsWith("faceservice_recognition_batch_size_count ")));
        var chips = Value(text.Split('\n').Single(l => l.StartsWith("faceservice_recognition_batch_size_sum ")));
        Assert.InRange(batches, 1, chips);
    }

    private static double Value(string sample) => double.Parse(sample.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Swagger_documents_every_endpoint_with_examples_for_every_error()
    {
        var ui = await _client.GetAsync("/swagger/index.html");
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
        var document = await (await _client.GetAsync("/swagger/v1/swagger.json")).ReadAsync(HttpStatusCode.OK);
        var paths = document["paths"]!.AsObject();
        string[] expected =
        [
            "/v1/detect", "/v1/enroll", "/v1/verify", "/v1/identify", "/v1/cluster", "/v1/subjects", "/v1/subjects/{subject}",
            "/v1/subjects/{subject}/faces", "/v1/faces/{faceId}", "/v1/collections", "/v1/collections/{collection}",
            "/health/live", "/health/ready", "/metrics",
        ];
        Assert.Empty(expected.Except(paths.Select(p => p.Key)));

        foreach (var (path, item) in paths.Where(p => p.Key.StartsWith("/v1/")))
        foreach (var (method, operation) in item!.AsObject())
        {
            Assert.False(string.IsNullOrEmpty((string?)operation!["summary"]), $"{method} {path} has no summary");
            foreach (var (status, response) in operation["responses"]!.AsObject().Where(r => r.Key[0] is '4' or '5'))
            {
                var examples = response!["content"]?["application/problem+json"]?["examples"]?.AsObject();
                Assert.True(examples is { Count: > 0 }, $"{method} {path} {status} has no problem example");
                Assert.All(examples!, e => Assert.Equal(int.Parse(status), (int)e.Value!["value"]!["status"]!));
            }
        }
        // Uploads are multipart forms with binary file fields, so Swagger UI renders file pickers.
        var enroll = paths["/v1/enroll"]!["post"]!["requestBody"]!["content"]!["multipart/form-data"]!["schema"]!;
        Assert.Equal("binary", (string?)enroll["properties"]!["image"]!["items"]!["format"]);
        var cluster = paths["/v1/cluster"]!["post"]!["requestBody"]!["content"]!.AsObject();
        Assert.Contains("application/json", cluster.Select(c => c.Key));
        Assert.Contains("multipart/form-data", cluster.Select(c => c.Key));
    }
}
