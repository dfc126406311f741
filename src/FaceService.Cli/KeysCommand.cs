using System.Globalization;
using FaceService.Core.Security;
using Microsoft.Extensions.DependencyInjection;

namespace FaceService.Cli;

/// <summary>
/// keys create | list | revoke: API keys managed in the database directly, as the admin endpoint does (same generation,
/// hashing, storage and audit records), so that an operator can mint the first key without an admin key or a running
/// service. Needs no models.
/// </summary>
public static class KeysCommand
{
    public const string CreateUsage = """
        faceservice keys create --name <name> --roles read|write|admin[,...] --collections <c1,c2,...>|* [--connection <string>]
          Creates an API key and prints its text on stdout, this once (only its SHA-256 is stored). The highest role
          counts (admin includes write, write includes read); "*" stands for every collection, present and future.
        """;

    public const string ListUsage = """
        faceservice keys list [--json <file>] [--connection <string>]
          Every key, newest first: id, name, roles, collections, creator, created, revoked. Never a key's text or hash.
        """;

    public const string RevokeUsage = """
        faceservice keys revoke <key-id> [--connection <string>]
          Revokes a key (its 16 hex id, or its whole text): it stops working at once.
        """;

    public static readonly string[] Options = ["connection"];
    public static readonly string[] CreateOptions = [.. Options, "name", "roles", "collections"];
    public static readonly string[] ListOptions = [.. Options, "json"];
    public static readonly string[] Flags = ["verbose"];

    public static Task<int> CreateAsync(CliArguments args, CliConsole console, CancellationToken ct)
    {
        var name = args.Get("name") ?? throw new CliUsageException("--name is required.");
        var roles = args.Get("roles") ?? throw new CliUsageException("--roles is required.");
        var collections = args.Get("collections") ?? throw new CliUsageException("--collections is required.");
        // Validated before the database is touched, with the endpoint's rules and messages.
        var validName = ApiKey.RequireName(name);
        var scope = ApiKeyScope.Parse(SplitList(roles), SplitList(collections));

        return WithStoreAsync(args, async store =>
        {
            var (key, text) = await store.IssueAsync(validName, scope, CliHost.Operator, ct);
            console.Out.WriteLine(text);
            console.Error.WriteLine($"Created key {key.KeyId} '{key.Name}' ({Describe(key.Scope)}).");
            console.Error.WriteLine("The key (on stdout) is shown this once: only its hash is stored.");
            return ExitCodes.Ok;
        }, ct);
    }

    public static Task<int> ListAsync(CliArguments args, CliConsole console, CancellationToken ct)
    {
        var jsonPath = args.Get("json");
        return WithStoreAsync(args, async store =>
        {
            var keys = await store.ListAsync(ct);
            Write(console.Out, keys);
            if (jsonPath is not null)
                await CliJson.WriteAsync(jsonPath, keys.Select(k => new
                {
                    k.KeyId, k.Name, Roles = k.Scope.RoleNames, k.Scope.Collections, k.CreatedAt, k.CreatedBy, k.RevokedAt,
                }).ToList(), ct);
            return ExitCodes.Ok;
        }, ct);
    }

    public static Task<int> RevokeAsync(CliArguments args, CliConsole console, CancellationToken ct)
    {
        var given = args.Positionals[0];
        var keyId = ApiKeySecret.TryParseKeyId(given, out var fromText) ? fromText
            : IsKeyId(given) ? given
            : throw new CliUsageException($"'{given}' is neither a key id (16 hex characters) nor a key.");

        return WithStoreAsync(args, async store =>
        {
            if (!await store.RevokeAsync(keyId, CliHost.Operator, ct))
            {
                console.Error.WriteLine($"error: no valid API key {keyId} (unknown or already revoked).");
                return ExitCodes.Failed;
            }
            console.Out.WriteLine($"Revoked key {keyId}.");
            return ExitCodes.Ok;
        }, ct);
    }

    private static async Task<int> WithStoreAsync(CliArguments args, Func<IApiKeyStore, Task<int>> run, CancellationToken ct)
    {
        using var host = CliHost.BuildStoreOnly(args);
        await CliHost.MigrateAsync(host, ct);
        return await run(host.Services.GetRequiredService<IApiKeyStore>());
    }

    private static List<string> SplitList(string text) =>
        text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();

    private static bool IsKeyId(string text) => text.Length == 16 && text.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    private static string Describe(ApiKeyScope scope) =>
        $"roles {string.Join(", ", scope.RoleNames)}; collections {string.Join(", ", scope.Collections)}";

    private static void Write(TextWriter writer, IReadOnlyList<ApiKey> keys)
    {
        if (keys.Count == 0)
        {
            writer.WriteLine("No API keys.");
            return;
        }
        var rows = keys.Select(k => new[]
        {
            k.KeyId, k.Name, string.Join(",", k.Scope.RoleNames), string.Join(",", k.Scope.Collections), k.CreatedBy,
            Timestamp(k.CreatedAt), k.RevokedAt is { } revoked ? "revoked " + Timestamp(revoked) : "active",
        }).Prepend(["id", "name", "roles", "collections", "created by", "created", "state"]).ToList();
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
            writer.WriteLine(string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))));
    }

    private static string Timestamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm'Z'", CultureInfo.InvariantCulture);
}
