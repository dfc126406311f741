using System.Reflection;
using System.Text.Json.Nodes;
using FaceService.Api.Errors;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace FaceService.Api.Swagger;

/// <summary>Gives each problem response of an operation its codes in the description and one example per code.</summary>
public sealed class ProblemExamplesOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (operation.Responses is null) return;
        var declared = context.MethodInfo.GetCustomAttributes<ProducesProblemAttribute>()
            .Concat(context.MethodInfo.DeclaringType?.GetCustomAttributes<ProducesProblemAttribute>(inherit: true) ?? []);
        foreach (var group in declared.GroupBy(a => a.StatusCode))
        {
            if (!operation.Responses.TryGetValue(group.Key.ToString(), out var found) || found is not OpenApiResponse response) continue;
            var errors = group.SelectMany(a => a.Codes).Distinct().Select(ErrorCatalog.Get).ToList();
            response.Description = string.Join("; ", errors.Select(e => $"{e.Code}: {e.Title}"));
            var media = response.Content?.Values.FirstOrDefault() ?? new OpenApiMediaType();
            media.Examples ??= new Dictionary<string, IOpenApiExample>();
            foreach (var error in errors)
                media.Examples[error.Code] = new OpenApiExample { Summary = error.Title, Value = Example(error, "/" + context.ApiDescription.RelativePath) };
            response.Content = new Dictionary<string, OpenApiMediaType> { [ApiProblems.ContentType] = media };
        }
    }

    private static JsonObject Example(ErrorDefinition error, string instance)
    {
        var example = new JsonObject
        {
            ["type"] = ApiProblems.TypePrefix + error.Code,
            ["title"] = error.Title,
            ["status"] = error.Status,
            ["detail"] = error.ExampleDetail,
            ["instance"] = instance,
            ["code"] = error.Code,
            ["traceId"] = "4bf92f3577b34da6a3ce929d0e0e4736",
            ["requestId"] = "0HNABCDEF1234:00000001",
        };
        if (error == ErrorCatalog.ValidationFailed)
            example["errors"] = new JsonObject { ["k"] = new JsonArray("k must be between 1 and 100.") };
        return example;
    }
}
