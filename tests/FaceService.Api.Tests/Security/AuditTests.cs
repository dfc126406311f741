using System.Net;
using FaceService.Api.Tests.Infrastructure;
using Npgsql;

namespace FaceService.Api.Tests.Security;

/// <summary>
/// Enroll, face deletion and erasure leave audit records naming the key, with no biometric data; each change writes
/// exactly one record, in its own transaction, and a rejected request writes none.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class AuditTests(ApiFactory factory)
{
    private const string Collection = "apitest-audit";

    [Fact]
    public async Task Changes_are_audited_with_the_key_and_without_biometric_data()
    {
        await factory.ResetCollectionAsync(Collection);
        var admin = factory.CreateClient();
        var writerKey = await admin.CreateKeyOkAsync("audit writer", ["write"], [Collection]);
        var writer = factory.ClientWithKey(writerKey.Key);
        var person = DevPhotos.People.First(p => p.Photos.Count >= 2);

        var enrolled = await writer.EnrollOkAsync(Collection, person.Name, person.Photos[0], person.Photos[1]);
        var faces = enrolled["faces"]!.AsArray().Select(f => ((string)f!["faceId"]!, (string)f["imageSha256"]!)).ToList();
        Assert.Equal(HttpStatusCode.NoContent, (await writer.DeleteAsync($"/v1/faces/{faces[0].Item1}")).StatusCode);
        await (await writer.DeleteAsync($"/v1/subjects/{Uri.EscapeDataString(person.Name)}?collection={Collection}")).ReadAsync(HttpStatusCode.OK);

        var records = (await (await admin.GetAsync($"/v1/audit?collection={Collection}&limit=3")).ReadAsync(HttpStatusCode.OK))["records"]!
            .AsArray().Reverse().ToList();
        Assert.Equal(["enroll", "delete_face", "delete_subject"], records.Select(r => (string)r!["action"]!));
        Assert.All(records, r =>
        {
            Assert.Equal(writerKey.KeyId, (string)r!["keyId"]!);
            Assert.Equal("audit writer", (string)r["keyName"]!);
            Assert.Equal(person.Name, (string)r["subject"]!);
            Assert.False(string.IsNullOrEmpty((string?)r["requestId"]));
        });
        Assert.Equal(faces.Select(f => f.Item1).Order(), records[0]!["faceIds"]!.AsArray().Select(f => (string)f!).Order());
        Assert.Equal(2, (int)records[0]!["faceCount"]!);
        Assert.Equal([faces[0].Item1], records[1]!["faceIds"]!.AsArray().Select(f => (string)f!));
        Assert.Equal(1, (int)records[2]!["faceCount"]!);

        // The stored rows: no codes, no image hashes, no key text.
        await using var dataSource = NpgsqlDataSource.Create(ApiFactory.ConnectionString);
        await using var command = dataSource.CreateCommand("SELECT row_to_json(a)::text FROM audit_log a WHERE collection = @c");
        command.Parameters.AddWithValue("c", Collection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync()) rows.Add(reader.GetString(0));
        Assert.NotEmpty(rows);
        Assert.All(rows, row =>
        {
            foreach (var (_, sha) in faces) Assert.DoesNotContain(sha, row);
            Assert.DoesNotContain(writerKey.Key, row);
            Assert.DoesNotContain("code", row);
            Assert.DoesNotContain("embedding", row);
        });
    }

    [Fact]
    public async Task Every_kind_of_change_writes_exactly_one_record()
    {
        var collection = "apitest-audit-" + Guid.NewGuid().ToString("N")[..8];
        var admin = factory.CreateClient();
        var person = DevPhotos.People.First(p => p.Photos.Count >= 3);

        var key = await admin.CreateKeyOkAsync("audit once", ["write"], [collection]);
        Assert.Equal(new Dictionary<string, int> { ["create_key"] = 1 }, await CountsAsync(collection));

        var enrolled = await admin.EnrollOkAsync(collection, person.Name, person.Photos[0], person.Photos[1]);
        await admin.EnrollOkAsync(collection, "second", person.Photos[2]);
        Assert.Equal(2, (await CountsAsync(collection))["enroll"]);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/v1/faces/{(string)enrolled["faces"]![0]!["faceId"]!}")).StatusCode);
        await (await admin.DeleteAsync($"/v1/subjects/{Uri.EscapeDataString(person.Name)}?collection={collection}")).ReadAsync(HttpStatusCode.OK);
        await (await admin.DeleteAsync($"/v1/collections/{collection}")).ReadAsync(HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/v1/keys/{key.KeyId}")).StatusCode);

        Assert.Equal(new Dictionary<string, int>
        {
            ["create_key"] = 1, ["enroll"] = 2, ["delete_face"] = 1, ["delete_subject"] = 1, ["delete_collection"] = 1, ["revoke_key"] = 1,
        }, await CountsAsync(collection));
    }

    [Fact]
    public async Task A_rejected_change_writes_no_record_and_changes_nothing()
    {
        var collection = "apitest-audit-" + Guid.NewGuid().ToString("N")[..8];
        var admin = factory.CreateClient();
        var person = DevPhotos.People.First(p => p.Photos.Count >= 2);
        var enrolled = await admin.EnrollOkAsync(collection, person.Name, person.Photos[0]);
        var before = await CountsAsync(collection);

        // A photo without a face fails the whole enrollment, the good photo in it included.
        await (await admin.EnrollAsync(collection, person.Name, person.Photos[1], DevPhotos.NoFace("pilatus800.jpg")))
            .ReadProblemAsync(HttpStatusCode.UnprocessableEntity, "no_face");
        await (await admin.EnrollAsync(collection, "nobody", DevPhotos.NoFace("pilatus800.jpg")))
            .ReadProblemAsync(HttpStatusCode.UnprocessableEntity, "no_face");
        await (await admin.DeleteAsync($"/v1/subjects/nobody?collection={collection}")).ReadProblemAsync(HttpStatusCode.NotFound, "subject_not_found");
        await (await admin.DeleteAsync($"/v1/faces/{Guid.NewGuid()}")).ReadProblemAsync(HttpStatusCode.NotFound, "face_not_found");
        await (await admin.DeleteAsync($"/v1/collections/{collection}-none")).ReadProblemAsync(HttpStatusCode.NotFound, "collection_not_found");
        await (await admin.DeleteAsync("/v1/keys/0000000000000000")).ReadProblemAsync(HttpStatusCode.NotFound, "key_not_found");

        Assert.Equal(before, await CountsAsync(collection));
        var faces = (await (await admin.GetAsync($"/v1/subjects/{Uri.EscapeDataString(person.Name)}/faces?collection={collection}"))
            .ReadAsync(HttpStatusCode.OK))["faces"]!.AsArray();
        Assert.Equal([(string)enrolled["faces"]![0]!["faceId"]!], faces.Select(f => (string)f!["faceId"]!));
        await (await admin.GetAsync($"/v1/subjects/nobody?collection={collection}")).ReadProblemAsync(HttpStatusCode.NotFound, "subject_not_found");
        await factory.ResetCollectionAsync(collection);
    }

    /// <summary>The audit records filed under a collection, counted by action, straight from the table.</summary>
    private static async Task<Dictionary<string, int>> CountsAsync(string collection)
    {
        await using var dataSource = NpgsqlDataSource.Create(ApiFactory.ConnectionString);
        await using var command = dataSource.CreateCommand("SELECT action, count(*)::int FROM audit_log WHERE collection = @c GROUP BY action");
        command.Parameters.AddWithValue("c", collection);
        await using var reader = await command.ExecuteReaderAsync();
        var counts = new Dictionary<string, int>();
        while (await reader.ReadAsync()) counts[reader.GetString(0)] = reader.GetInt32(1);
        return counts;
    }
}
