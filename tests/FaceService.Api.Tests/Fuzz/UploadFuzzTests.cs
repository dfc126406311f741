using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FaceService.Api.Tests.Infrastructure;
using SkiaSharp;

namespace FaceService.Api.Tests.Fuzz;

/// <summary>
/// Hostile and broken requests to every upload endpoint of the real service (fixed seeds, so a failure repeats): each
/// gets a 4xx problem with a code or a correct success, never a 5xx, with the test process's memory bounded.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class UploadFuzzTests(ApiFactory factory, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string[] ImageErrors = ["invalid_image", "unsupported_image_format", "image_too_large", "no_face", "low_quality"];

    private readonly FuzzClient _fuzz = new(factory.CreateClient(), output);

    public async Task InitializeAsync()
    {
        await factory.ResetCollectionAsync(FuzzClient.Collection);
        await _fuzz.Http.EnrollOkAsync(FuzzClient.Collection, DevPhotos.People[1].Name, DevPhotos.People[1].Photos[0]);
    }

    public Task DisposeAsync() => factory.ResetCollectionAsync(FuzzClient.Collection);

    [Fact]
    public async Task Corrupted_images_to_every_upload_endpoint_get_an_answer()
    {
        using var photo = FuzzImages.FacePhoto();
        var random = new Random(5);
        var memory = MemoryProbe.Start();
        var endpoint = 0;
        foreach (var (format, valid) in FuzzImages.AllFormats(photo))
        {
            // The intact image: every format finds the face.
            var (_, _, detected) = await _fuzz.SendAsync(() => _fuzz.Http.PostAsync("/v1/detect", new Multipart().Bytes("image", valid, "photo." + format)));
            Assert.NotEmpty(detected!["faces"]!.AsArray());
            for (var i = 0; i < 4; i++)
            {
                await _fuzz.UploadAsync(endpoint++, FuzzImages.BitFlipped(valid, random), "flipped." + format, ImageErrors);
                await _fuzz.UploadAsync(endpoint++, FuzzImages.Truncated(valid, random), "cut." + format, ImageErrors);
                await _fuzz.UploadAsync(endpoint++, FuzzImages.Overwritten(valid, random), "overwritten." + format, ImageErrors);
            }
        }
        for (var i = 0; i < 10; i++)
            await _fuzz.UploadAsync(endpoint++, FuzzImages.RandomBytes(random, random.Next(1, 20_000)), "noise.jpg", ImageErrors);

        memory.AssertBounded(output, maxManagedGrowthMiB: 256);
        _fuzz.Report("corrupted uploads");
    }

    [Fact]
    public async Task Unusual_formats_bombs_and_crowds_get_correct_answers()
    {
        using var photo = FuzzImages.FacePhoto();
        var memory = MemoryProbe.Start();

        // Valid but unusual: answered like any photo.
        Assert.Empty((await DetectAsync(FuzzImages.FlatJpeg(64, 48, components: 4), "cmyk.jpg"))["faces"]!.AsArray());
        Assert.NotEmpty((await DetectAsync(FuzzImages.Png16(photo), "deep.png"))["faces"]!.AsArray());
        var animated = FuzzImages.Gif(photo.Width, photo.Height, [FuzzImages.Grey(photo), new byte[photo.Width * photo.Height]]);
        Assert.NotEmpty((await DetectAsync(animated, "animated.gif"))["faces"]!.AsArray()); // frame 0 is the face
        Assert.Empty((await DetectAsync(FuzzImages.ZeroPng(6000, 6000), "zeros.png"))["faces"]!.AsArray());

        // Tiny files that declare huge images, to every upload endpoint.
        var simpleWebp = FuzzImages.Encode(photo, SKEncodedImageFormat.Webp);
        byte[][] bombs =
        [
            FuzzImages.FlatJpeg(60_000, 60_000, components: 3, dataBytes: 16), FuzzImages.FlatJpeg(60_000, 60_000, components: 4, dataBytes: 16),
            BadFiles.PngDeclaring(100_000, 100_000), FuzzImages.Gif(16, 16, [new byte[256]], screenWidth: 65_535, screenHeight: 65_535),
            FuzzImages.WebpWithCanvas(simpleWebp, 16_000, 16_000),
        ];
        var endpoint = 0;
        foreach (var bomb in bombs)
            for (var i = 0; i < FuzzClient.UploadEndpoints.Count; i++)
                await _fuzz.UploadAsync(endpoint++, bomb, "bomb", "image_too_large", "invalid_image");

        // One photo with 400 small faces: capped at Inference:MaxFacesPerImage, and every endpoint copes.
        using var tile = FuzzImages.FacePhoto(64);
        var crowd = FuzzImages.Tiled(tile, 20, 20);
        var faces = (await DetectAsync(crowd, "crowd.jpg"))["faces"]!.AsArray();
        Assert.InRange(faces.Count, 1, 100);
        for (var i = 1; i < FuzzClient.UploadEndpoints.Count; i++) await _fuzz.UploadAsync(i, crowd, "crowd.jpg", "no_face", "low_quality");

        memory.AssertBounded(output, maxManagedGrowthMiB: 256);
        output.WriteLine($"crowd: {faces.Count} faces found");
        _fuzz.Report("unusual formats, bombs, crowds");
    }

    [Fact]
    public async Task Hostile_subject_and_collection_ids_are_stored_in_nfc_or_refused()
    {
        var photo = DevPhotos.People[2].Photos[0];
        var facesBefore = await factory.CountFacesAsync(FuzzClient.Collection);
        string[] storable =
        [
            "'; DROP TABLE faces;--", "Robert'); DELETE FROM faces WHERE ('1'='1", "\" OR 1=1 --", "%' OR '%'='",
            "Zoë Ångström 李小龍 🙂", "e\u0301\u0301\u0301 (combining)",
            "..\\..\\windows\\win.ini", "a?c#d&e=f", "%2e%2e%2f", "<img src=x onerror=alert(1)>",
            new string('x', 256), string.Concat(Enumerable.Repeat("🙂", 128)),
        ];
        foreach (var subject in storable)
        {
            var (status, _, body) = await _fuzz.SendAsync(() => _fuzz.Http.EnrollAsync(FuzzClient.Collection, subject, photo));
            Assert.True(status == 201, $"enroll of subject \"{subject}\": {status} {body}");
            Assert.Equal(subject.Normalize(NormalizationForm.FormC), (string?)body!["subject"]);
            // Read back by the id in the path.
            var (readStatus, _, read) = await _fuzz.SendAsync(() => _fuzz.Http.GetAsync(
                $"/v1/subjects/{Uri.EscapeDataString(subject)}/faces?collection={FuzzClient.Collection}"));
            Assert.Equal(200, readStatus);
            Assert.Equal(subject.Normalize(NormalizationForm.FormC), (string?)read!["subject"]);
        }
        Assert.Equal(facesBefore + storable.Length, await factory.CountFacesAsync(FuzzClient.Collection));
        var (_, _, listed) = await _fuzz.SendAsync(() => _fuzz.Http.GetAsync($"/v1/subjects?collection={FuzzClient.Collection}&pageSize=500"));
        Assert.Subset(listed!["items"]!.AsArray().Select(i => (string)i!["subject"]!).ToHashSet(), storable.Select(s => s.Normalize(NormalizationForm.FormC)).ToHashSet());

        string[] refusedSubjects = ["../../etc/passwd", "a/b", "<script>alert(1)</script>", "bob\0", "\0", "tab\there", "line\nbreak", " padded ", new string('x', 257), new string('y', 100_000), "\u0007bell",
            "\u202Eevil\u202C (bidi override)", "zero\u200Bwidth", "b\uFEFFom", "soft\u00ADhyphen"];
        foreach (var subject in refusedSubjects)
            await _fuzz.SendAsync(() => _fuzz.Http.EnrollAsync(FuzzClient.Collection, subject, photo), "validation_failed");
        string[] refusedCollections = ["'; DROP TABLE faces;--", "../etc", "a b", "bob\0", "-starts-with-dash", new string('c', 65), "ünïcode"];
        foreach (var collection in refusedCollections)
        {
            await _fuzz.SendAsync(() => _fuzz.Http.EnrollAsync(collection, "someone", photo), "validation_failed");
            await _fuzz.SendAsync(() => _fuzz.Http.GetAsync($"/v1/subjects?collection={Uri.EscapeDataString(collection)}"), "validation_failed");
        }
        // (%00 in a path is refused by Kestrel itself with a bare 400 before any middleware; the in-process test host
        // cannot send it at all.)
        foreach (var path in new[] { "/v1/subjects/..%2F..%2F", "/v1/subjects/%20", "/v1/faces/..%2F..%2Fetc", "/v1/collections/%27%3B%20DROP", "/v1/collections/..%2F.." })
            await _fuzz.SendAsync(() => _fuzz.Http.DeleteAsync(path + $"?collection={FuzzClient.Collection}"), "validation_failed", "subject_not_found", "not_found");

        // Nothing was refused by accident and the table is intact.
        Assert.Equal(facesBefore + storable.Length, await factory.CountFacesAsync(FuzzClient.Collection));

        // A multipart text field is decoded as a text stream: a leading byte-order mark is the encoding's mark, not part
        // of the value (docs/API.md). Anywhere else, U+FEFF is an invisible character and refused (above).
        var (bomStatus, _, bom) = await _fuzz.SendAsync(() => _fuzz.Http.EnrollAsync(FuzzClient.Collection, "\uFEFFbom-led", photo));
        Assert.Equal(201, bomStatus);
        Assert.Equal("bom-led", (string?)bom!["subject"]);
        _fuzz.Report("hostile ids");
    }

    [Fact]
    public async Task Wrong_content_types_and_malformed_or_oversized_forms_get_problems()
    {
        var jpeg = File.ReadAllBytes(DevPhotos.People[0].Photos[0]);
        var memory = MemoryProbe.Start();

        // The declared part type is not trusted either way: the bytes decide.
        Assert.Equal(200, (await _fuzz.SendAsync(() => _fuzz.Http.PostAsync("/v1/detect", new Multipart().Bytes("image", jpeg, "photo.txt", "text/plain")))).Status);
        Assert.Equal(200, (await _fuzz.SendAsync(() => _fuzz.Http.PostAsync("/v1/detect", new Multipart().Bytes("image", jpeg, "x", "application/x-msdownload")))).Status);
        await _fuzz.SendAsync(() => _fuzz.Http.PostAsync("/v1/detect", new Multipart().Bytes("image", BadFiles.Text, "photo.jpg", "image/jpeg")), "invalid_image");

        foreach (var path in new[] { "/v1/detect", "/v1/enroll", "/v1/verify", "/v1/identify" })
        {
            await _fuzz.SendAsync(() => _fuzz.Http.PostAsync(path, FuzzClient.Raw(jpeg, "image/jpeg")), "unsupported_media_type");
            // No Content-Type at all: [Consumes] lets the only candidate action run, which finds no form fields.
            await _fuzz.SendAsync(() => _fuzz.Http.PostAsync(path, FuzzClient.Raw(jpeg, null)), "validation_failed");
            await _fuzz.SendAsync(() => _fuzz.Http.PostAsync(path, FuzzClient.Raw("{\"image\":\"AAAA\"}", "application/json")), "unsupported_media_type");
            await _fuzz.SendAsync(() => _fuzz.Http.PostAsync(path, FuzzClient.Raw("subject=x&collection=y&image=abc", "application/x-www-form-urlencoded")),
                "validation_failed", "unsupported_media_type");
            await _fuzz.SendAsync(() => _fuzz.Http.PostAsync(path, FuzzClient.Raw("--a\r\n", "multipart/form-data; boundary=b")), "validation_failed");
            await _fuzz.SendAsync(() => _fuzz.Http.PostAsync(path, FuzzClient.Raw("--b--\r\n", "multipart/form-data; boundary=b")), "validation_failed");
            await _fuzz.SendAsync(() => _fuzz.Http.PostAsync(path, FuzzClient.Raw(FuzzImages.RandomBytes(new Random(path.Length), 5000), "multipart/form-data; boundary=b")),
                "validation_failed");
            await _fuzz.SendAsync(() => _fuzz.Http.PostAsync(path, FuzzClient.Raw(jpeg, "multipart/form-data; boundary=\"")), "validation_failed", "unsupported_media_type");
            await _fuzz.SendAsync(() => _fuzz.Http.PostAsync(path, FuzzClient.Raw(jpeg, "multipart/mixed; boundary=b")), "unsupported_media_type");
        }

        // Forms built to exhaust the server: huge text fields, many fields, huge part headers, hostile file names.
        await _fuzz.SendAsync(() => _fuzz.Http.PostAsync("/v1/enroll", new Multipart().Field("subject", new string('s', 5_000_000)).Bytes("image", jpeg, "a.jpg")),
            "payload_too_large", "validation_failed");
        var manyFields = new Multipart().Bytes("image", jpeg, "a.jpg");
        for (var i = 0; i < 5000; i++) manyFields.Field("f" + i, "v");
        await _fuzz.SendAsync(() => _fuzz.Http.PostAsync("/v1/detect", manyFields), "too_many_files", "payload_too_large");
        var hugeHeader = new MultipartFormDataContent("b") { FuzzClient.Part(jpeg, $"form-data; name=\"image\"; filename=\"{new string('n', 40_000)}.jpg\"") };
        await _fuzz.SendAsync(() => _fuzz.Http.PostAsync("/v1/detect", hugeHeader), "payload_too_large", "validation_failed");
        foreach (var fileName in new[] { "../../../etc/passwd", "..\\..\\boot.ini", "a\0b.jpg", "CON", "💥.jpg", "" })
        {
            var form = new MultipartFormDataContent("b")
            {
                FuzzClient.Part(jpeg, $"form-data; name=\"image\"; filename=\"{fileName}\""),
            };
            await _fuzz.SendAsync(() => _fuzz.Http.PostAsync("/v1/detect", form), "validation_failed");
        }
        // Invalid UTF-8 in a text field is read as replacement characters: a storable (odd) subject id, or refused.
        var badUtf8 = new MultipartFormDataContent("b")
        {
            FuzzClient.Part([0xC3, 0x28, 0xFF, 0xFE], "form-data; name=\"subject\"", null),
            FuzzClient.Part(Encoding.UTF8.GetBytes(FuzzClient.Collection), "form-data; name=\"collection\"", null),
            FuzzClient.Part(jpeg, "form-data; name=\"image\"; filename=\"a.jpg\""),
        };
        await _fuzz.SendAsync(() => _fuzz.Http.PostAsync("/v1/enroll", badUtf8), "validation_failed");

        memory.AssertBounded(output, maxManagedGrowthMiB: 256);
        _fuzz.Report("content types and forms");
    }

    [Fact]
    public async Task Malformed_json_to_cluster_gets_a_problem()
    {
        string[] bodies =
        [
            "", "{", "}", "[]", "null", "123", "\"text\"", "{\"collection\":", "{\"collection\": 123}", "{\"collection\": null, \"faceIds\": null}",
            "{\"faceIds\": \"not-a-list\"}", "{\"faceIds\": [\"not-a-guid\"]}", "{\"faceIds\": [null]}", "{\"faceIds\": [1, 2]}",
            $"{{\"collection\": \"{FuzzClient.Collection}\", \"threshold\": \"NaN\"}}", $"{{\"collection\": \"{FuzzClient.Collection}\", \"threshold\": 1e400}}",
            $"{{\"collection\": \"{FuzzClient.Collection}\", \"threshold\": -1}}", $"{{\"collection\": \"{FuzzClient.Collection}\", \"linkage\": 7}}",
            $"{{\"collection\": \"{FuzzClient.Collection}\", \"linkage\": \"'; DROP TABLE faces;--\"}}", "{\"collection\": \"'; DROP TABLE faces;--\"}",
            "{\"collection\": \"a\", \"collection\": \"b\"}", "{\"collection\": \"x\" /* comment */}", "{'collection': 'x'}", "{\"collection\": \"x\",}",
            "\uFEFF{\"collection\": \"x\"}", "{\"collection\": \"\\u0000\"}", "{\"collection\": \"\\ud800\"}",
            new string('[', 100_000), new string('{', 10_000) + new string('}', 10_000),
            "{\"faceIds\": [" + string.Join(',', Enumerable.Range(0, 50_000).Select(i => $"\"{new Guid(i, 0, 0, new byte[8])}\"")) + "]}",
            "{\"collection\": \"" + new string('c', 2_000_000) + "\"}",
        ];
        foreach (var body in bodies)
            await _fuzz.SendAsync(() => _fuzz.Http.PostAsync("/v1/cluster", new StringContent(body, Encoding.UTF8, "application/json")),
                "validation_failed", "collection_not_found", "face_not_found", "too_many_faces");
        await _fuzz.SendAsync(() => _fuzz.Http.PostAsync("/v1/cluster", FuzzClient.Raw([0xC3, 0x28, 0x7B, 0xFF], "application/json")), "validation_failed");
        await _fuzz.SendAsync(() => _fuzz.Http.PostAsync("/v1/cluster", FuzzClient.Raw("{\"collection\":\"x\"}", "application/json; charset=utf-32")),
            "validation_failed", "unsupported_media_type", "collection_not_found");

        // The well-formed request still works afterwards.
        var (status, _, result) = await _fuzz.SendAsync(() => _fuzz.Http.PostAsync("/v1/cluster",
            new StringContent($"{{\"collection\": \"{FuzzClient.Collection}\"}}", Encoding.UTF8, "application/json")));
        Assert.Equal((int)HttpStatusCode.OK, status);
        Assert.IsType<JsonArray>(result!["singletons"]);
        _fuzz.Report("malformed JSON");
    }

    private async Task<JsonNode> DetectAsync(byte[] image, string fileName)
    {
        var (status, code, body) = await _fuzz.SendAsync(() => _fuzz.Http.PostAsync("/v1/detect", new Multipart().Bytes("image", image, fileName)));
        Assert.True(status == 200, $"{fileName}: {status} {code}");
        return body!;
    }
}
