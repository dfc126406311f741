using FaceService.CommandLine;
using FaceService.Core.Naming;
using FaceService.Core.Security;
using FaceService.Core.Services;
using FaceService.Inference;
using FaceService.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using FaceService.Inference.Runtime;

namespace FaceService.Cli;

/// <summary>
/// The service's own modules in a console host: the face pipeline (<see cref="InferenceServiceCollectionExtensions.AddFaceInference"/>,
/// with its micro-batching embedder), the store (<see cref="ServiceCollectionExtensions.AddFaceStore"/>) and the Core
/// application services. Configuration: the tool's appsettings.json, then environment variables (the API's names, e.g.
/// ConnectionStrings__FaceStore, Inference__Device), then the command line (--connection, --models, --device).
/// </summary>
public static class CliHost
{
    public static readonly string[] Options = ["connection", "models", "device", "concurrency", "json"];
    public static readonly string[] Flags = ["verbose"];

    public const int DefaultConcurrency = 4;

    /// <summary>Whom the audit log names for a change made here (keys, imports): the operator's account, not an API key.</summary>
    public static AuditActor Operator => new("cli", $"cli ({Environment.UserName})", null);

    /// <param name="args">The command line.</param>
    /// <param name="onStore">
    /// Whether the command works on the store's collections: it migrates the store before starting the host
    /// (<see cref="StartMigratedAsync"/>), and the recognition precision (Auto) follows the stored faces. A command that
    /// only reads files (cluster) passes false and runs with no database up.
    /// </param>
    public static IHost Build(ToolArguments args, bool onStore = true)
    {
        var builder = CreateBuilder(args);
        var configuration = builder.Configuration;
        // Migrations run here on demand (MigrateAsync), not as the API's hosted service.
        builder.Services.AddFaceInference(configuration).AddFaceStore(configuration).AddFaceCore(configuration);
        if (onStore) builder.Services.AddPrecisionFromStoredFaces();
        return builder.Build();
    }

    /// <summary>The store alone, for commands that run no model (keys): they work without the models.</summary>
    public static IHost BuildStoreOnly(ToolArguments args)
    {
        var builder = CreateBuilder(args);
        builder.Services.AddFaceStore(builder.Configuration);
        builder.Services.AddApiKeyManagement(builder.Configuration);
        return builder.Build();
    }

    private static HostApplicationBuilder CreateBuilder(ToolArguments args)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .AddInMemoryCollection(CommandLineSettings(args));

        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(args.Has("verbose") ? LogLevel.Information : LogLevel.Warning);
        // "No CUDA here, running on the CPU" is the expected case of Device Auto on a CPU host, not worth a warning per run.
        // The host's own start-up failure log repeats, with a stack trace, the error the tool prints anyway.
        if (!args.Has("verbose"))
            builder.Logging.AddFilter(typeof(OnnxSessionFactory).FullName, LogLevel.Error).AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        builder.Services.AddMetrics();
        return builder;
    }

    /// <summary>Images analyzed at the same time: enough in flight for the recognition batcher to fill its batches.</summary>
    public static int Concurrency(ToolArguments args) => args.GetInt("concurrency", DefaultConcurrency, 1, 64);

    /// <summary>--collection, or the default collection.</summary>
    public static CollectionName Collection(ToolArguments args) =>
        CollectionName.TryCreate(args.Get("collection"), out var problem) ?? throw new UsageException($"--collection: {problem}");

    /// <summary>The host built and started, its database migrated: where a command on the store's collections begins.</summary>
    public static async Task<IHost> StartMigratedAsync(ToolArguments args, CancellationToken ct)
    {
        var host = Build(args);
        try
        {
            // Migrated first: the pipeline, resolved as the host starts, picks its recognition precision (Auto) from the stored faces.
            await MigrateAsync(host, ct);
            await host.StartAsync(ct);
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>The migrated store: a fresh database gets its schema before the first read or write.</summary>
    public static Task MigrateAsync(IHost host, CancellationToken ct) =>
        host.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(ct);

    /// <summary>Runs a command that needs one service of the migrated store and no models (keys, partitions).</summary>
    public static async Task<int> WithStoreServiceAsync<TService>(ToolArguments args, Func<TService, Task<int>> run, CancellationToken ct)
        where TService : notnull
    {
        using var host = BuildStoreOnly(args);
        await MigrateAsync(host, ct);
        return await run(host.Services.GetRequiredService<TService>());
    }

    private static Dictionary<string, string?> CommandLineSettings(ToolArguments args)
    {
        var settings = new Dictionary<string, string?>();
        if (args.Get("connection") is { } connection)
            settings[$"ConnectionStrings:{StorageOptions.ConnectionStringName}"] = connection;
        // Relative to where the user is, not to the tool's folder.
        if (args.Get("models") is { } models)
            settings[$"{InferenceOptions.SectionName}:{nameof(InferenceOptions.ModelsPath)}"] = Path.GetFullPath(models);
        if (args.GetEnum<InferenceDevice>("device") is { } device)
            settings[$"{InferenceOptions.SectionName}:{nameof(InferenceOptions.Device)}"] = device.ToString();
        return settings;
    }
}
