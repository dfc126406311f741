using System.Net;
using System.Text.Json.Nodes;
using FaceService.Core.Naming;

namespace FaceService.Api.Tests.Infrastructure;

/// <summary>The endpoints as a client calls them, over HTTP.</summary>
public static class ApiCalls
{
    public static Task<HttpResponseMessage> EnrollAsync(this HttpClient client, string collection, string subject, params string[] photos)
    {
        var form = new Multipart().Field("subject", subject).Field("collection", collection);
        foreach (var photo in photos) form.File("image", photo);
        return client.PostAsync("/v1/enroll", form);
    }

    public static async Task<JsonNode> EnrollOkAsync(this HttpClient client, string collection, string subject, params string[] photos) =>
        await (await client.EnrollAsync(collection, subject, photos)).ReadAsync(HttpStatusCode.Created);

    public static async Task<JsonNode> IdentifyOkAsync(this HttpClient client, string collection, string photo, int? k = null,
        bool allFaces = false, float? threshold = null)
    {
        var form = new Multipart().File("image", photo).Field("collection", collection).Field("allFaces", allFaces ? "true" : "false");
        if (k is not null) form.Field("k", k.Value.ToString());
        if (threshold is not null) form.Field("threshold", threshold.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return await (await client.PostAsync("/v1/identify", form)).ReadAsync(HttpStatusCode.OK);
    }

    public static async Task<JsonNode> VerifyImagesOkAsync(this HttpClient client, string photo1, string photo2, float? threshold = null)
    {
        var form = new Multipart().File("image1", photo1).File("image2", photo2);
        if (threshold is not null) form.Field("threshold", threshold.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return await (await client.PostAsync("/v1/verify", form)).ReadAsync(HttpStatusCode.OK);
    }

    public static async Task<JsonNode> DetectOkAsync(this HttpClient client, string photo) =>
        await (await client.PostAsync("/v1/detect", new Multipart().File("image", photo))).ReadAsync(HttpStatusCode.OK);

    /// <summary>Removes what an earlier run left in a test's collection.</summary>
    public static async Task ResetCollectionAsync(this ApiFactory factory, string collection) =>
        await factory.Store.DeleteCollectionAsync(CollectionName.Parse(collection));
}
