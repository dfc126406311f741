using System.Net;
using FaceService.Api.Tests.Infrastructure;
using Npgsql;

namespace FaceService.Api.Tests.Security;

/// <summary>Enroll, face deletion and erasure leave audit records naming the key, with no biometric data.</summary>
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
}
