using System.Reflection;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace FaceService.Api.Swagger;

/// <summary>
/// Marks a JSON action whose route also takes multipart/form-data through a sibling action hidden from API explorer
/// (two actions cannot share a path and method in OpenAPI): the operation gets both request body types.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AlsoAcceptsFormAttribute(Type formType) : Attribute
{
    public Type FormType { get; } = formType;
}

public sealed class AlsoAcceptsFormOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (context.MethodInfo.GetCustomAttribute<AlsoAcceptsFormAttribute>() is not { } alsoForm || operation.RequestBody is not OpenApiRequestBody body) return;
        body.Content ??= new Dictionary<string, OpenApiMediaType>();
        body.Content["multipart/form-data"] = new OpenApiMediaType { Schema = context.SchemaGenerator.GenerateSchema(alsoForm.FormType, context.SchemaRepository) };
    }
}
