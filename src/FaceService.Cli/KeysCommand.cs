using FaceService.CommandLine;
using System.Globalization;
using FaceService.Core.Security;

namespace FaceService.Cli;

/// <summary>
/// keys create | list | rotate | revoke: API keys managed in the database directly, through the same service as the
/// admin endpoints (same generation, hashing, defaults, storage and audit records), as an operator with every
/// collection in reach, so that the first key can be minted without an admin key or a running service. Needs no models.
/// </summary>
public static class KeysCommand
{
    public const string CreateUsage = """
        faceservice keys create --name <name> --roles read|write|admin[,...] --collections <c1,c2,...>|*
                                [--expires-at <ISO 8601 time>] [--requests-per-minute <n>] [--connection <string>]
          Creates an API key and prints its text on stdout, this once (only its SHA-256 is stored). The highest role
          counts (admin includes write, write includes read); "*" stands for every collection, present and future.
          --expires-at: when the key stops working (e.g. 2027-06-30T00:00:00Z); default: no end.
          --requests-per-minute: its rate limit, 0 for none; default Keys:DefaultRequestsPerMinute (6000).
        """;

    public const string ListUsage = """
        faceservice keys list [--json <file>] [--connection <string>]
          Every key, newest first: id, name, roles, collections, rate limit, creator, created, state (active, expires,
          expired, revoked). Never a key's text or hash.
        """;

    public const string RotateUsage = """
        faceservice keys rotate <key-id> [--overlap-seconds <n>] [--expires-at <ISO 8601 time>] [--connection <string>]
          Issues a new key with the old key's name, roles, collections and rate limit and prints its text on stdout,
          this once; the old key keeps working for the overlap (default Keys:DefaultRotationOverlapSeconds, 3600).
          The new key ends at --expires-at, or after the old key's lifetime again (no end if it had none).
        """;

    public const string RevokeUsage = """
        faceservice keys revoke <key-id> [--connection <string>]
          Revokes a key (its 16 hex id, or its whole text): it stops working at once.
        """;

    public static readonly string[] Options = ["connection"];
    public static readonly string[] CreateOptions = [.. Options, "name", "roles", "collections", "expires-at", "requests-per-minute"];
    public static readonly string[] RotateOptions = [.. Options, "overlap-seconds", "expires-at"];
    public static readonly string[] ListOptions = [.. Options, "json"];
    public static readonly string[] Flags = ["verbose"];

    // The command line acts for whoever may run it on the database's host: every collection, every role.
    private static readonly ApiKeyScope OperatorScope = new(ApiKeyRole.Admin, [ApiKeyScope.AllCollections]);

    public static Task<int> CreateAsync(ToolArguments args, CliConsole console, CancellationToken ct)
    {
        var request = new NewApiKey(
            args.Get("name") ?? throw new UsageException("--name is required."),
            SplitList(args.Get("roles") ?? throw new UsageException("--roles is required.")),
            SplitList(args.Get("collections") ?? throw new UsageException("--collections is required.")),
            ExpiresAt(args),
            args.Get("requests-per-minute") is null ? null : args.GetInt("requests-per-minute", 0, 0, ApiKey.MaxRequestsPerMinute));

        return CliHost.WithStoreServiceAsync<ApiKeyService>(args, async keys =>
        {
            var (key, text) = await keys.CreateAsync(OperatorScope, request, CliHost.Operator, ct);
            console.Out.WriteLine(text);
            console.Error.WriteLine($"Created key {key.KeyId} '{key.Name}' ({Describe(key)}).");
            console.Error.WriteLine("The key (on stdout) is shown this once: only its hash is stored.");
            return ExitCodes.Ok;
        }, ct);
    }

    public static Task<int> ListAsync(ToolArguments args, CliConsole console, CancellationToken ct)
    {
        var jsonPath = args.Get("json");
        return CliHost.WithStoreServiceAsync<ApiKeyService>(args, async keys =>
        {
            var list = await keys.ListAsync(OperatorScope, ct);
            Write(console.Out, list);
            if (jsonPath is not null)
                await CliJson.WriteAsync(jsonPath, list.Select(k => new
                {
                    k.KeyId, k.Name, Roles = k.Scope.RoleNames, k.Scope.Collections, k.RequestsPerMinute, k.CreatedAt, k.CreatedBy, k.ExpiresAt, k.RevokedAt,
                }).ToList(), ct);
            return ExitCodes.Ok;
        }, ct);
    }

    public static Task<int> RotateAsync(ToolArguments args, CliConsole console, CancellationToken ct)
    {
        var keyId = KeyId(args.Positionals[0]);
        TimeSpan? overlap = args.Get("overlap-seconds") is null
            ? null
            : TimeSpan.FromSeconds(args.GetInt("overlap-seconds", 0, 0, KeyPolicyOptions.MaxRotationOverlapSeconds));
        var expiresAt = ExpiresAt(args);

        return CliHost.WithStoreServiceAsync<ApiKeyService>(args, async keys =>
        {
            var rotated = await keys.RotateAsync(OperatorScope, keyId, overlap, expiresAt, CliHost.Operator, ct);
            var key = rotated.Issued.Key;
            console.Out.WriteLine(rotated.Issued.Text);
            console.Error.WriteLine($"Created key {key.KeyId} '{key.Name}' ({Describe(key)}).");
            console.Error.WriteLine($"Key {keyId} keeps working until {Timestamp(rotated.ReplacedKeyExpiresAt)}.");
            console.Error.WriteLine("The new key (on stdout) is shown this once: only its hash is stored.");
            return ExitCodes.Ok;
        }, ct);
    }

    public static Task<int> RevokeAsync(ToolArguments args, CliConsole console, CancellationToken ct)
    {
        var keyId = KeyId(args.Positionals[0]);
        return CliHost.WithStoreServiceAsync<ApiKeyService>(args, async keys =>
        {
            await keys.RevokeAsync(OperatorScope, keyId, CliHost.Operator, ct);
            console.Out.WriteLine($"Revoked key {keyId}.");
            return ExitCodes.Ok;
        }, ct);
    }

    private static string KeyId(string given) =>
        ApiKeySecret.TryParseKeyId(given, out var fromText) ? fromText
        : IsKeyId(given) ? given
        : throw new UsageException($"'{given}' is neither a key id (16 hex characters) nor a key.");

    private static DateTimeOffset? ExpiresAt(ToolArguments args) =>
        args.Get("expires-at") is not { } text ? null
        : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at
        : throw new UsageException($"--expires-at is a time such as 2027-06-30T00:00:00Z; got '{text}'.");

    private static List<string> SplitList(string text) =>
        text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();

    private static bool IsKeyId(string text) => text.Length == 16 && text.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    private static string Describe(ApiKey key) =>
        $"roles {string.Join(", ", key.Scope.RoleNames)}; collections {string.Join(", ", key.Scope.Collections)}; {Rate(key)}" +
        (key.ExpiresAt is { } end ? $"; expires {Timestamp(end)}" : "");

    private static string Rate(ApiKey key) => key.RequestsPerMinute == 0 ? "unlimited" : $"{key.RequestsPerMinute}/min";

    private static void Write(TextWriter writer, IReadOnlyList<ApiKey> keys)
    {
        if (keys.Count == 0)
        {
            writer.WriteLine("No API keys.");
            return;
        }
        var now = DateTimeOffset.UtcNow;
        var rows = keys.Select(k => new[]
        {
            k.KeyId, k.Name, string.Join(",", k.Scope.RoleNames), string.Join(",", k.Scope.Collections), Rate(k), k.CreatedBy,
            Timestamp(k.CreatedAt),
            k.RevokedAt is { } revoked ? "revoked " + Timestamp(revoked)
                : k.ExpiresAt is { } end ? (end <= now ? "expired " : "expires ") + Timestamp(end)
                : "active",
        }).Prepend(["id", "name", "roles", "collections", "rate", "created by", "created", "state"]).ToList();
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
            writer.WriteLine(string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))));
    }

    private static string Timestamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm'Z'", CultureInfo.InvariantCulture);
}
