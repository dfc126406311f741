namespace FaceService.Api.Swagger;

/// <summary>Serves <c>swagger-ui.js</c> (embedded), the small script Swagger UI loads beside its own.</summary>
public static class SwaggerUiScript
{
    public const string Path = "/swagger/faceservice-ui.js";

    private static readonly Lazy<byte[]> Script = new(() =>
    {
        using var stream = typeof(SwaggerUiScript).Assembly.GetManifestResourceStream("FaceService.Api.Swagger.swagger-ui.js")
                           ?? throw new InvalidOperationException("swagger-ui.js is not embedded.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    public static IEndpointConventionBuilder MapSwaggerUiScript(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet(Path, () => Results.Bytes(Script.Value, "text/javascript")).AllowAnonymous().ExcludeFromDescription();
}
