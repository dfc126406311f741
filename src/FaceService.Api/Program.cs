using FaceService.Api.Health;
using FaceService.Api.Infrastructure;
using FaceService.Api.Metrics;
using FaceService.Api.Security;
using FaceService.Api.Swagger;
using FaceService.Inference;
using FaceService.Storage;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Prometheus;
using Serilog;

// The service's own meters go through MeterPrometheusExporter (true counters); QUIC's internal meters are noise.
Metrics.ConfigureMeterAdapter(o => o.InstrumentFilterPredicate = instrument =>
    !MeterPrometheusExporter.IsOwnMeter(instrument.Meter) && !instrument.Meter.Name.StartsWith("Private.", StringComparison.Ordinal));

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddSerilog((services, logger) => logger
    .ReadFrom.Configuration(services.GetRequiredService<IConfiguration>())
    .ReadFrom.Services(services)
    .Enrich.FromLogContext());

builder.Services.AddApiOptions(builder.Configuration);
builder.Services.AddStoreMigration();
builder.Services.AddFaceInference(builder.Configuration);
builder.Services.AddFaceStore(builder.Configuration);
builder.Services.AddFaceServices(builder.Configuration);
builder.Services.AddApiControllers();
builder.Services.AddApiSecurity(builder.Configuration);
builder.Services.AddInferenceConcurrencyLimit(builder.Configuration);
builder.Services.AddApiSwagger();

var app = builder.Build();

app.UseSerilogRequestLogging(o =>
{
    // The route template, not the path: paths can carry subject ids, which are personal data.
    o.MessageTemplate = "HTTP {RequestMethod} {Route} responded {StatusCode} in {Elapsed:0.0} ms";
    o.EnrichDiagnosticContext = (diagnostics, http) =>
    {
        diagnostics.Set("RequestId", http.TraceIdentifier);
        diagnostics.Set("RequestBytes", http.Request.ContentLength);
    };
});
app.UseRouting();
// Routing runs before the exception handler (which clears the endpoint when it handles an exception), so that the
// request log and the HTTP metrics still see the route, and see the handler's final status code.
app.Use((http, next) =>
{
    http.RequestServices.GetRequiredService<IDiagnosticContext>()
        .Set("Route", (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(no route)");
    return next(http);
});
app.UseHttpMetrics();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseMiddleware<RequestSizeLimitMiddleware>();

// Swagger is served before authentication: the document and the UI are open (the UI's Authorize button sets the key).
app.UseSwagger();
app.UseSwaggerUI(o =>
{
    o.SwaggerEndpoint("/swagger/v1/swagger.json", "FaceService v1");
    o.DocumentTitle = "FaceService API";
    o.DisplayRequestDuration();
    o.EnableDeepLinking();
    o.EnableTryItOutByDefault();
    o.InjectJavascript(SwaggerUiScript.Path);
});
app.MapSwaggerUiScript();

// API keys, roles and per-key rate limits: before the inference queue, and before any body is read.
app.UseApiSecurity();
app.UseMiddleware<InferenceConcurrencyMiddleware>();
app.UseMiddleware<ConsistencyMiddleware>();

app.MapControllers();
app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = HealthResponseWriter.WriteAsync }).AllowAnonymous();
app.MapHealthChecks("/health/ready", new HealthCheckOptions
{
    Predicate = check => check.Tags.Contains(HealthTags.Ready),
    ResponseWriter = HealthResponseWriter.WriteAsync,
}).AllowAnonymous();
app.MapMetrics("/metrics").WithMetricsAccess(app.Services);

app.Run();

/// <summary>Entry point; public so that integration tests can host it with WebApplicationFactory.</summary>
public partial class Program;
