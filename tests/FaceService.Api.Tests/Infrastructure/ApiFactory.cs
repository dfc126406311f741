using FaceService.Core.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FaceService.Api.Tests.Infrastructure;

/// <summary>
/// The real service in-process: real models (models/, built by models/build.sh) and the real PostgreSQL + pgvector
/// test database (env FACESERVICE_TEST_DB). Limits are set small so that the limit tests send small bodies. Auth is on:
/// every client it creates sends the bootstrap admin key, and the per-key rate limit is out of the way.
/// </summary>
public class ApiFactory : WebApplicationFactory<Program>
{
    public const long MaxFileBytes = 2 * 1024 * 1024;
    public const long MaxRequestBytes = 8 * 1024 * 1024;
    public const int MaxFilesPerRequest = 32;
    public const string BootstrapAdminKey = "test-bootstrap-admin-key-0123456789abcdef";

    public static string ConnectionString => TestDb.ConnectionString;

    protected virtual string StoreConnectionString => ConnectionString;

    protected virtual IReadOnlyDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>();

    public IFaceStore Store => Services.GetRequiredService<IFaceStore>();

    /// <summary>Faces stored in a collection (0 when it has none), read through the store, not the API.</summary>
    public async Task<int> CountFacesAsync(string collection) =>
        (await Store.ListCollectionsAsync()).SingleOrDefault(c => c.Collection == collection)?.FaceCount ?? 0;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureAppConfiguration((_, config) =>
        {
            var settings = new Dictionary<string, string?>
            {
                ["ConnectionStrings:FaceStore"] = StoreConnectionString,
                ["Inference:ModelsPath"] = System.IO.Path.Combine(RepoPaths.Root, "models"),
                ["Limits:MaxFileBytes"] = MaxFileBytes.ToString(),
                ["Limits:MaxRequestBytes"] = MaxRequestBytes.ToString(),
                ["Limits:MaxFilesPerRequest"] = MaxFilesPerRequest.ToString(),
                ["Auth:BootstrapAdminKey"] = BootstrapAdminKey,
                // Request logs of every test request would drown the test output.
                ["Serilog:MinimumLevel:Default"] = "Warning",
                // Tests that index ask for their reclusters themselves; PeopleTests checks the automatic one.
                ["People:AutoRecluster"] = "false",
            };
            foreach (var (key, value) in ExtraSettings) settings[key] = value;
            config.AddInMemoryCollection(settings);
        });
    }

    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        client.DefaultRequestHeaders.Add("X-API-Key", BootstrapAdminKey);
    }
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiFactory>
{
    /// <summary>One host for every test class; the classes run one after another (2 cores, one model).</summary>
    public const string Name = "api";
}
