using System.Net;
using System.Net.Http.Json;
using FaceService.Api.Tests.Infrastructure;

namespace FaceService.Api.Tests.Security;

/// <summary>Keys made through the API, and clients that send them.</summary>
public static class SecurityClients
{
    public sealed record CreatedKey(string KeyId, string Key);

    /// <summary>A client that sends this key (null: no key at all).</summary>
    public static HttpClient ClientWithKey(this ApiFactory factory, string? key)
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Remove("X-API-Key");
        if (key is not null) client.DefaultRequestHeaders.Add("X-API-Key", key);
        return client;
    }

    public static Task<HttpResponseMessage> CreateKeyAsync(this HttpClient admin, string name, string[] roles, string[] collections) =>
        admin.PostAsJsonAsync("/v1/keys", new { name, roles, collections });

    public static async Task<CreatedKey> CreateKeyOkAsync(this HttpClient admin, string name, string[] roles, string[] collections)
    {
        var created = await (await admin.CreateKeyAsync(name, roles, collections)).ReadAsync(HttpStatusCode.Created);
        return new CreatedKey((string)created["keyId"]!, (string)created["key"]!);
    }
}
