using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace FaceService.Api.Swagger;

/// <summary>Lists the health and metrics endpoints (plain endpoints, not controllers) in the document.</summary>
public sealed class OperationsDocumentFilter : IDocumentFilter
{
    public void Apply(OpenApiDocument document, DocumentFilterContext context)
    {
        Add(document, "/health/live", "Liveness: the process is up and serving requests.", "application/json",
            ("200", "Alive."));
        Add(document, "/health/ready", "Readiness: database reachable, migrations applied, face models loaded.", "application/json",
            ("200", "Ready: every check is healthy."), ("503", "Not ready: the body names the failing check."));
        Add(document, "/metrics", "Prometheus metrics: request counts and latencies by route and status, faces embedded, ORT batch sizes.",
            "text/plain", ("200", "Prometheus text exposition format."));
    }

    private static void Add(OpenApiDocument document, string path, string summary, string contentType, params (string Status, string Description)[] responses)
    {
        var operation = new OpenApiOperation
        {
            Summary = summary,
            Tags = new HashSet<OpenApiTagReference> { new("Operations", document) },
            Responses = new OpenApiResponses(),
        };
        foreach (var (status, description) in responses)
            operation.Responses[status] = new OpenApiResponse
            {
                Description = description,
                Content = new Dictionary<string, OpenApiMediaType> { [contentType] = new() },
            };
        document.Paths ??= new OpenApiPaths();
        document.Paths[path] = new OpenApiPathItem { Operations = new Dictionary<HttpMethod, OpenApiOperation> { [HttpMethod.Get] = operation } };
    }
}
