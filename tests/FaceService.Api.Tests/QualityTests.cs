using System.Net;
using System.Net.Http.Json;
using FaceService.Api.Tests.Infrastructure;
using FaceService.Evaluation;

namespace FaceService.Api.Tests;

/// <summary>
/// Face quality through HTTP: shown by detect and identify, refused with reasons by enroll and index, left out of
/// templates and clusters when a lower minQuality lets a face in.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class QualityTests(ApiFactory factory)
{
    private const string Collection = "apitest-quality";
    private const string Sharp = "Marc_Grossman/Marc_Grossman_0004.jpg";
    private const string Other = "Marc_Grossman/Marc_Grossman_0001.jpg";
    private readonly HttpClient _client = factory.CreateClient();

    private static byte[] Blurred => DegradedPhoto.Blurred(DevPhotos.Read(Sharp), 4);

    [Fact]
    public async Task Detect_shows_the_quality_and_its_parts()
    {
        var face = (await _client.DetectOkAsync(DevPhotos.Resolve(Sharp)))["faces"]![0]!["quality"]!;
        Assert.InRange((float)face["score"]!, 0.5f, 1f);
        Assert.InRange((float)face["faceSize"]!, 32f, 500f);
        Assert.InRange((float)face["yaw"]!, -30f, 30f);
        Assert.Equal(["faceSize", "sharpness", "pose", "detectorScore"], face["parts"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public async Task Enroll_refuses_a_blurred_face_with_its_reason_and_a_lower_min_quality_keeps_it_out_of_the_template()
    {
        await factory.ResetCollectionAsync(Collection);
        var both = await (await _client.PostAsync("/v1/enroll", Form("marc").File("image", DevPhotos.Resolve(Other)).Bytes("image", Blurred, "blurred.jpg")))
            .ReadAsync(HttpStatusCode.Created);
        Assert.Single(both["faces"]!.AsArray());
        var refused = both["refused"]!.AsArray().Single()!;
        Assert.Equal("blurred.jpg", (string?)refused["fileName"]);
        Assert.Contains("blurred", refused["face"]!["reasons"]!.AsArray().Select(r => (string)r!));

        var alone = await (await _client.PostAsync("/v1/enroll", Form("marc").Bytes("image", Blurred, "blurred.jpg")))
            .ReadProblemAsync(HttpStatusCode.UnprocessableEntity, "low_quality");
        Assert.Contains("blurred", (string)alone["detail"]!);
        Assert.Equal(1, await factory.CountFacesAsync(Collection));

        // Let in below the configured threshold: stored, marked, outside the template (still one face in it).
        var lowered = await (await _client.PostAsync("/v1/enroll", Form("marc").Field("minQuality", "0").Bytes("image", Blurred, "blurred.jpg")))
            .ReadAsync(HttpStatusCode.Created);
        Assert.True((bool)lowered["faces"]![0]!["lowQuality"]!);
        Assert.Equal(2, await factory.CountFacesAsync(Collection));
        var identified = await _client.IdentifyOkAsync(Collection, DevPhotos.Resolve(Sharp));
        Assert.Equal(1, (int)identified["faces"]![0]!["candidates"]![0]!["faces"]!);

        // Clustering the stored faces leaves it out, and says so.
        var clustered = await (await _client.PostAsJsonAsync("/v1/cluster", new { collection = Collection })).ReadAsync(HttpStatusCode.OK);
        Assert.True((bool)clustered["leftOut"]!.AsArray().Single()!["lowQuality"]!);
        var all = await (await _client.PostAsJsonAsync("/v1/cluster", new { collection = Collection, includeLowQuality = true })).ReadAsync(HttpStatusCode.OK);
        Assert.Empty(all["leftOut"]!.AsArray());
    }

    [Fact]
    public async Task Index_and_cluster_of_uploads_leave_a_blurred_face_out_and_say_why()
    {
        const string collection = Collection + "-index";
        await factory.ResetCollectionAsync(collection);
        var indexed = await (await _client.PostAsync("/v1/index", new Multipart().Field("collection", collection).Bytes("image", Blurred, "blurred.jpg")))
            .ReadAsync(HttpStatusCode.Created);
        var image = indexed["images"]![0]!;
        Assert.Empty(image["faces"]!.AsArray());
        Assert.Contains("blurred", image["refused"]![0]!["reasons"]!.AsArray().Select(r => (string)r!));

        var uploads = new Multipart().File("image", DevPhotos.Resolve(Sharp)).File("image", DevPhotos.Resolve(Other)).Bytes("image", Blurred, "blurred.jpg");
        var clustered = await (await _client.PostAsync("/v1/cluster", uploads)).ReadAsync(HttpStatusCode.OK);
        var leftOut = clustered["leftOut"]!.AsArray().Single()!;
        Assert.Equal("blurred.jpg", (string?)leftOut["fileName"]);
        Assert.True((float)leftOut["quality"]! < 0.5f);
    }

    private static Multipart Form(string subject) => new Multipart().Field("subject", subject).Field("collection", Collection);
}
