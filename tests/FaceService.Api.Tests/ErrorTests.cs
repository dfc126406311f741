using FaceService.Core.Naming;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using FaceService.Api.Tests.Infrastructure;

namespace FaceService.Api.Tests;

/// <summary>
/// Every error code produced by a real bad request, each answered as problem details with its status, and the
/// database unchanged afterwards (the test collection holds one enrolled face throughout).
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class ErrorTests(ApiFactory factory) : IAsyncLifetime
{
    private const string Collection = "apitest-errors";
    private static readonly DevPhotos.Person Anchor = DevPhotos.People[0];
    private static string Face => Anchor.Photos[0];
    private static string NoFace => DevPhotos.NoFace("dog.jpg");

    private readonly HttpClient _client = factory.CreateClient();

    private delegate Task<HttpResponseMessage> Request(HttpClient client);

    private static readonly Dictionary<string, (Request Send, HttpStatusCode Status, string Code)> Cases = new()
    {
        ["empty file"] = (c => c.PostAsync("/v1/enroll", Enroll().Bytes("image", [], "empty.jpg")), HttpStatusCode.BadRequest, "invalid_image"),
        ["text file named .jpg"] = (c => c.PostAsync("/v1/enroll", Enroll().Bytes("image", BadFiles.Text, "photo.jpg")), HttpStatusCode.BadRequest, "invalid_image"),
        ["truncated JPEG"] = (c => c.PostAsync("/v1/enroll", Enroll().Bytes("image", BadFiles.TruncatedJpeg(Face), "cut.jpg")), HttpStatusCode.BadRequest, "invalid_image"),
        ["PNG header claiming 100000x100000"] = (c => c.PostAsync("/v1/enroll", Enroll().Bytes("image", BadFiles.PngDeclaring(100_000, 100_000), "bomb.png", "image/png")),
            HttpStatusCode.UnprocessableEntity, "image_too_large"),
        ["TIFF"] = (c => c.PostAsync("/v1/enroll", Enroll().Bytes("image", BadFiles.Tiff, "scan.tif", "image/tiff")), HttpStatusCode.UnsupportedMediaType, "unsupported_image_format"),
        ["no-face photo in an enrollment"] = (c => c.PostAsync("/v1/enroll", Enroll().File("image", Face).File("image", NoFace)), HttpStatusCode.UnprocessableEntity, "no_face"),
        ["no-face photo to verify"] = (c => c.PostAsync("/v1/verify", new Multipart().File("image1", NoFace).File("image2", Face)), HttpStatusCode.UnprocessableEntity, "no_face"),
        ["too many files"] = (c => c.PostAsync("/v1/enroll", Files(ApiFactory.MaxFilesPerRequest + 1, 1024)), HttpStatusCode.RequestEntityTooLarge, "too_many_files"),
        ["a thousand files"] = (c => c.PostAsync("/v1/enroll", Files(1000, 16)), HttpStatusCode.RequestEntityTooLarge, "too_many_files"),
        ["file over the size limit"] = (c => c.PostAsync("/v1/enroll", Files(1, (int)ApiFactory.MaxFileBytes + 1)), HttpStatusCode.RequestEntityTooLarge, "payload_too_large"),
        ["request over the size limit"] = (c => c.PostAsync("/v1/enroll", Files(5, (int)(ApiFactory.MaxRequestBytes / 5) + 1)), HttpStatusCode.RequestEntityTooLarge, "payload_too_large"),
        ["verify against an unknown subject"] = (c => c.PostAsync("/v1/verify", new Multipart().File("image1", Face).Field("subject", "nobody").Field("collection", Collection)),
            HttpStatusCode.NotFound, "subject_not_found"),
        ["enroll with a malformed consistency token"] = (c => c.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/enroll")
            {
                Content = Enroll().File("image", Face), Headers = { { "Consistency-Token", "not-a-wal-position" } },
            }), HttpStatusCode.BadRequest, "invalid_consistency_token"),
        ["get an unknown subject"] = (c => c.GetAsync($"/v1/subjects/nobody?collection={Collection}"), HttpStatusCode.NotFound, "subject_not_found"),
        ["faces of an unknown subject"] = (c => c.GetAsync($"/v1/subjects/nobody/faces?collection={Collection}"), HttpStatusCode.NotFound, "subject_not_found"),
        ["erase an unknown subject"] = (c => c.DeleteAsync($"/v1/subjects/nobody?collection={Collection}"), HttpStatusCode.NotFound, "subject_not_found"),
        ["delete an unknown face"] = (c => c.DeleteAsync($"/v1/faces/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "face_not_found"),
        ["cluster unknown face ids"] = (c => c.PostAsJsonAsync("/v1/cluster", new { collection = Collection, faceIds = new[] { Guid.NewGuid() } }),
            HttpStatusCode.NotFound, "face_not_found"),
        ["delete an unknown collection"] = (c => c.DeleteAsync("/v1/collections/apitest-never-created"), HttpStatusCode.NotFound, "collection_not_found"),
        ["cluster an unknown collection"] = (c => c.PostAsJsonAsync("/v1/cluster", new { collection = "apitest-never-created" }), HttpStatusCode.NotFound, "collection_not_found"),
        ["bad JSON"] = (c => c.PostAsync("/v1/cluster", new StringContent("{\"collection\": \"x\"", Encoding.UTF8, "application/json")),
            HttpStatusCode.BadRequest, "validation_failed"),
        ["JSON to a multipart endpoint"] = (c => c.PostAsJsonAsync("/v1/enroll", new { subject = "x" }), HttpStatusCode.UnsupportedMediaType, "unsupported_media_type"),
        ["text/plain to cluster"] = (c => c.PostAsync("/v1/cluster", new StringContent("cluster please")), HttpStatusCode.UnsupportedMediaType, "unsupported_media_type"),
        ["multipart without a boundary"] = (c => c.PostAsync("/v1/detect", Raw("multipart/form-data", "--x\r\n")), HttpStatusCode.BadRequest, "validation_failed"),
        ["k = 0"] = (c => c.PostAsync("/v1/identify", new Multipart().File("image", Face).Field("k", "0")), HttpStatusCode.BadRequest, "validation_failed"),
        ["k not a number"] = (c => c.PostAsync("/v1/identify", new Multipart().File("image", Face).Field("k", "five")), HttpStatusCode.BadRequest, "validation_failed"),
        ["threshold above 4"] = (c => c.PostAsync("/v1/verify", new Multipart().File("image1", Face).File("image2", Face).Field("threshold", "4.5")),
            HttpStatusCode.BadRequest, "validation_failed"),
        ["threshold NaN"] = (c => c.PostAsync("/v1/identify", new Multipart().File("image", Face).Field("threshold", "NaN")), HttpStatusCode.BadRequest, "validation_failed"),
        ["unknown linkage"] = (c => c.PostAsync("/v1/cluster", new StringContent($"{{\"collection\":\"{Collection}\",\"linkage\":\"ward\"}}", Encoding.UTF8, "application/json")),
            HttpStatusCode.BadRequest, "validation_failed"),
        ["subject id too long"] = (c => c.PostAsync("/v1/enroll", Enroll(new string('x', 257)).File("image", Face)), HttpStatusCode.BadRequest, "validation_failed"),
        ["blank subject id"] = (c => c.PostAsync("/v1/enroll", Enroll("   ").File("image", Face)), HttpStatusCode.BadRequest, "validation_failed"),
        ["missing subject"] = (c => c.PostAsync("/v1/enroll", new Multipart().Field("collection", Collection).File("image", Face)), HttpStatusCode.BadRequest, "validation_failed"),
        ["missing image"] = (c => c.PostAsync("/v1/enroll", Enroll()), HttpStatusCode.BadRequest, "validation_failed"),
        ["bad collection name"] = (c => c.PostAsync("/v1/enroll", new Multipart().Field("subject", "x").Field("collection", "no spaces; please").File("image", Face)),
            HttpStatusCode.BadRequest, "validation_failed"),
        ["verify with image2 and subject"] = (c => c.PostAsync("/v1/verify", new Multipart().File("image1", Face).File("image2", Face).Field("subject", Anchor.Name)),
            HttpStatusCode.BadRequest, "validation_failed"),
        ["page 0"] = (c => c.GetAsync($"/v1/subjects?collection={Collection}&page=0"), HttpStatusCode.BadRequest, "validation_failed"),
        ["face id not a GUID"] = (c => c.DeleteAsync("/v1/faces/12345"), HttpStatusCode.BadRequest, "validation_failed"),
        ["unknown path"] = (c => c.GetAsync("/v1/people"), HttpStatusCode.NotFound, "not_found"),
        ["wrong method"] = (c => c.GetAsync("/v1/enroll"), HttpStatusCode.MethodNotAllowed, "method_not_allowed"),
    };

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    public async Task InitializeAsync()
    {
        // Idempotent: the same bytes give the same face, so every case starts from exactly one stored face.
        await _client.EnrollOkAsync(Collection, Anchor.Name, Face);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Bad_input_gets_its_problem_and_changes_nothing(string name)
    {
        var (send, status, code) = Cases[name];
        var before = await StoredFacesAsync();

        var problem = await (await send(_client)).ReadProblemAsync(status, code);

        Assert.False(string.IsNullOrEmpty((string?)problem["instance"]));
        Assert.Equal(before, await StoredFacesAsync());
    }

    [Fact]
    public void Every_documented_error_code_is_produced_by_some_case()
    {
        var produced = Cases.Values.Select(c => c.Code).ToHashSet();
        // database_unavailable: DatabaseOutageTests. Not produced by any input here: internal_error (a fault, never a
        // user's mistake), model_unavailable (the models are loaded at start-up or the service does not start), and
        // too_many_faces (needs more than Clustering:MaxFaces faces). overloaded: Fuzz/OverloadTests. unauthorized, key_expired,
        // forbidden, key_not_found, rate_limited: Security/*. cluster_not_found, cluster_changed, subject_exists,
        // photo_conflict, job_not_found: PeopleTests; low_quality: QualityTests; job_running: needs a job still queued
        // when the next request comes (Storage: ReclusterJobStoreTests).
        string[] elsewhere = ["database_unavailable", "internal_error", "model_unavailable", "too_many_faces", "overloaded",
            "unauthorized", "key_expired", "forbidden", "key_not_found", "rate_limited",
            "cluster_not_found", "cluster_changed", "subject_exists", "photo_conflict", "job_not_found", "low_quality", "job_running"];
        Assert.Empty(Errors.ErrorCatalog.All.Select(e => e.Code).Except(produced).Except(elsewhere));
    }

    /// <summary>The test collection's faces, plus whether its one subject still has its one face.</summary>
    private async Task<(int Faces, int AnchorFaces)> StoredFacesAsync() =>
        (await factory.CountFacesAsync(Collection), (await factory.Store.GetSubjectFacesAsync(CollectionName.Parse(Collection), SubjectId.Parse(Anchor.Name))).Count);

    private static Multipart Enroll(string subject = "error-subject") => new Multipart().Field("subject", subject).Field("collection", Collection);

    private static Multipart Files(int count, int bytesEach)
    {
        var form = Enroll();
        for (var i = 0; i < count; i++) form.Bytes("image", BadFiles.Random(bytesEach), $"noise{i}.jpg");
        return form;
    }

    private static ByteArrayContent Raw(string contentType, string body)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }
}
