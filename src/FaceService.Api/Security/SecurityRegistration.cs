using FaceService.Core.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace FaceService.Api.Security;

public static class SecurityRegistration
{
    /// <summary>API-key authentication, role policies (every endpoint needs a key unless it allows anonymous access),
    /// the collection scope filter, per-key rate limits and the Swagger security scheme. The key and audit stores are the
    /// storage module's (AddFaceStore).</summary>
    public static IServiceCollection AddApiSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptionsWithValidateOnStart<AuthOptions>().Bind(configuration.GetSection(AuthOptions.SectionName)).ValidateDataAnnotations();
        services.AddSingleton<ApiKeyAuthenticator>();

        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddRolePolicy(ApiKeyRole.Read).AddRolePolicy(ApiKeyRole.Write).AddRolePolicy(ApiKeyRole.Admin);
        services.Configure<MvcOptions>(o => o.Filters.Add<CollectionScopeFilter>());
        services.AddApiKeyRateLimiting(configuration);

        services.ConfigureSwaggerGen(o =>
        {
            o.AddSecurityDefinition(ApiKeyAuthenticationHandler.SchemeName, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = ApiKeyAuthenticationHandler.HeaderName,
                Description = "An API key (`fs_...`), or the bootstrap admin key. Also accepted as `Authorization: Bearer <key>`.",
            });
            o.AddSecurityRequirement(document => new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(ApiKeyAuthenticationHandler.SchemeName, document)] = [],
            });
        });
        return services;
    }

    /// <summary>Authentication, authorization and the per-key rate limiter, in that order (after routing).</summary>
    public static WebApplication UseApiSecurity(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<AuthOptions>>().Value;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("FaceService.Api.Security");
        if (!options.Enabled)
            logger.LogCritical("AUTHENTICATION IS DISABLED (Auth:Enabled=false): every request acts as an admin of every collection. " +
                               "Use this for local development only, never on a network.");
        else if (string.IsNullOrEmpty(options.BootstrapAdminKey))
            logger.LogWarning("Auth:BootstrapAdminKey is not set: only keys already stored in the database can call the API");

        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        return app;
    }

    /// <summary>/metrics: open by default like the health endpoints, or admin only (Auth:MetricsRequireAdmin).</summary>
    public static TBuilder WithMetricsAccess<TBuilder>(this TBuilder endpoint, IServiceProvider services) where TBuilder : IEndpointConventionBuilder =>
        services.GetRequiredService<IOptions<AuthOptions>>().Value.MetricsRequireAdmin
            ? endpoint.RequireAuthorization(RequireRoleAttribute.PolicyName(ApiKeyRole.Admin))
            : endpoint.AllowAnonymous();

    private static AuthorizationBuilder AddRolePolicy(this AuthorizationBuilder builder, ApiKeyRole role) =>
        builder.AddPolicy(RequireRoleAttribute.PolicyName(role), policy => policy
            .RequireAuthenticatedUser()
            .RequireAssertion(context => ApiCaller.TryFrom(context.User)?.Scope.Role >= role));
}
