using System.Text.Encodings.Web;
using FaceService.Api.Errors;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace FaceService.Api.Security;

/// <summary>
/// Reads the key from X-API-Key or Authorization: Bearer. Answers 401 unauthorized (with WWW-Authenticate) and
/// 403 forbidden as problem details. The key text itself is never logged.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions, ILoggerFactory loggerFactory, UrlEncoder encoder,
    ApiKeyAuthenticator authenticator, IOptions<AuthOptions> authOptions, IProblemDetailsService problemDetails)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-API-Key";
    private const string InvalidKey = "The API key is not valid (unknown, revoked or mistyped).";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!authOptions.Value.Enabled) return Success(ApiCaller.AuthDisabled);
        if (PresentedKey(Request) is not { } key) return AuthenticateResult.NoResult();
        return await authenticator.AuthenticateAsync(key, Context.RequestAborted) switch
        {
            { Caller: { } caller } => Success(caller),
            { ExpiredAt: { } at } => AuthenticateResult.Fail(new KeyExpiredException(at)),
            _ => AuthenticateResult.Fail(InvalidKey),
        };
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = $"{SchemeName} header=\"{HeaderName}\", Bearer";
        var result = await HandleAuthenticateOnceSafeAsync();
        if (result.Failure is KeyExpiredException expired)
            await WriteProblemAsync(ErrorCatalog.KeyExpired,
                $"This API key expired at {expired.At.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}; ask an admin for a new key (or rotate keys before they end).");
        else
            await WriteProblemAsync(ErrorCatalog.Unauthorized, result.Failure is null
                ? $"This endpoint needs an API key in the {HeaderName} header or as Authorization: Bearer <key>."
                : InvalidKey);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblemAsync(ErrorCatalog.Forbidden, "This key's role does not allow this operation.");

    private Task WriteProblemAsync(ErrorDefinition error, string detail)
    {
        Response.StatusCode = error.Status;
        return problemDetails.WriteAsync(new ProblemDetailsContext { HttpContext = Context, ProblemDetails = ApiProblems.Create(Context, error, detail) }).AsTask();
    }

    private sealed class KeyExpiredException(DateTimeOffset at) : Exception("The API key has expired.")
    {
        public DateTimeOffset At { get; } = at;
    }

    private AuthenticateResult Success(ApiCaller caller) =>
        AuthenticateResult.Success(new AuthenticationTicket(caller.ToPrincipal(SchemeName), SchemeName));

    private static string? PresentedKey(HttpRequest request)
    {
        if (request.Headers[HeaderName] is [{ Length: > 0 } key]) return key.Trim();
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && authorization.Length > 7 ? authorization[7..].Trim() : null;
    }
}
