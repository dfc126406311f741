using FaceService.Core.Security;
using FaceService.Core.Services;
using FaceService.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FaceService.Storage;

public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Registers the stores on PostgreSQL + pgvector — faces (<see cref="IFaceStore"/>), people and recluster jobs (<see cref="IPeopleStore"/>,
    /// <see cref="IReclusterJobStore"/>), API keys
    /// (<see cref="IApiKeyStore"/>) and the audit log (<see cref="IAuditLog"/>) — the servers they use (<see cref="PgDatabase"/>:
    /// one host, or a primary and hot standbys) and the <see cref="DatabaseMigrator"/>. Options come from the "Storage" section and ConnectionStrings:FaceStore and are
    /// validated at start-up. The host runs <see cref="DatabaseMigrator.MigrateAsync"/> before serving.
    /// </summary>
    public static IServiceCollection AddFaceStore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StorageOptions>()
            .Bind(configuration.GetSection(StorageOptions.SectionName))
            .Configure(o => o.ConnectionString = configuration.GetConnectionString(StorageOptions.ConnectionStringName) ?? o.ConnectionString)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton(provider => PgDatabase.Create(provider.GetRequiredService<IOptions<StorageOptions>>().Value));
        // The primary, for what needs it alone (migrations, maintenance).
        services.AddSingleton(provider => provider.GetRequiredService<PgDatabase>().Primary);
        services.AddSingleton<DatabaseMigrator>();
        services.AddEmbeddingQuantizer();
        services.AddSingleton<SubjectGraphs>();
        services.AddSingleton<PgFaceSearch>();
        services.AddSingleton<PgFaceStore>();
        services.AddSingleton<IFaceStore>(provider => provider.GetRequiredService<PgFaceStore>());
        services.AddSingleton<IPeopleStore, PgPeopleStore>();
        services.AddSingleton<IReclusterJobStore, PgReclusterJobStore>();
        services.AddSingleton<IApiKeyStore, PgApiKeyStore>();
        services.AddSingleton<IAuditLog, PgAuditLog>();
        services.AddSingleton<PgCollectionPartitions>();
        return services;
    }

    /// <summary>
    /// The in-process search graphs of large galleries (Storage:InProcessSearchMinSubjects), kept current in the
    /// background. For long-running hosts that serve searches; register after the start-up migration.
    /// </summary>
    public static IServiceCollection AddInProcessSearch(this IServiceCollection services) => services.AddHostedService<SubjectGraphSync>();

    /// <summary>A data source for one server (tests and tools that do not route reads).</summary>
    public static NpgsqlDataSource CreateDataSource(StorageOptions options) => PgDatabase.Builder(options.ConnectionString!, options).Build();
}
