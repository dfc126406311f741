using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace FaceService.Api.Swagger;

/// <summary>The example Swagger UI pre-fills for a JSON request body (instead of one generated from the schema).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class JsonRequestExampleAttribute(string json) : Attribute
{
    public string Json { get; } = json;
}

public sealed class JsonRequestExampleOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (context.MethodInfo.GetCustomAttribute<JsonRequestExampleAttribute>() is { } example
            && operation.RequestBody?.Content?.TryGetValue("application/json", out var media) == true)
            media.Example = JsonNode.Parse(example.Json);
    }
}
