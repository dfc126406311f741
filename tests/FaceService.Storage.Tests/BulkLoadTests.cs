using FaceService.Core.Embeddings;
using System.Runtime.InteropServices;
using FaceService.Core.Services;
using Npgsql;

namespace FaceService.Storage.Tests;

/// <summary>Binary COPY loading, the embedding column written with each face, the row checks, and the exact (index-free) search.</summary>
[Collection(StoreCollection.Name)]
public sealed class BulkLoadTests(StoreFixture fixture)
{
    private const string Model = "bulk-model";
    private readonly PgFaceStore store = fixture.Store;
    private readonly PgFaceBulkLoader loader = fixture.BulkLoader;
    private readonly PgFaceSearch search = fixture.Schema.Search;
    private readonly SyntheticFaces faces = new(seed: 77);

    [Theory]
    [InlineData("bulk load")]
    [InlineData("enroll")]
    public async Task Every_stored_face_has_its_embedding_equal_to_the_code_bytes(string path)
    {
        // The embedding column is written by the store: converted in C# for COPY, in SQL for enrollment (0004).
        var collection = SyntheticFaces.NewCollection();
        var loaded = Enumerable.Range(0, 200).SelectMany(s =>
        {
            var centre = faces.NewSubject();
            return Enumerable.Range(0, 5).Select(_ => faces.Face($"s{s:D3}", faces.CodeNear(centre)));
        }).ToList();
        // Every byte value, including -128, which the quantizer never writes but a code may hold.
        var extremes = Enumerable.Range(0, 2).Select(half =>
            faces.Face($"extreme-{half}", Enumerable.Range(half * 128, 128).Select(b => (sbyte)(b - 128)).ToArray()));
        loaded.AddRange(extremes);

        if (path == "enroll") Assert.Equal(loaded.Count, (await store.EnrollAsync(collection, Model, loaded)).Count);
        else Assert.Equal(loaded.Count, await loader.BulkLoadAsync(collection, Model, loaded));

        var stored = await store.GetCodesAsync(collection, Model, null);
        Assert.Equal(loaded.Select(f => ((string?)f.Subject.Value, Convert.ToHexString(MemoryMarshal.AsBytes(f.Code.AsSpan())))).Order(),
            stored.Select(c => (c.Subject, Convert.ToHexString(MemoryMarshal.AsBytes(c.Code.AsSpan())))).Order());

        await using var command = fixture.Schema.DataSource.CreateCommand(
            "SELECT code, embedding::real[], embedding = face_code_to_halfvec(code) FROM faces WHERE collection = @collection");
        command.Parameters.AddWithValue("collection", collection.Value);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = 0;
        while (await reader.ReadAsync())
        {
            var code = MemoryMarshal.Cast<byte, sbyte>(reader.GetFieldValue<byte[]>(0)).ToArray();
            Assert.Equal(code.Select(b => (float)b), reader.GetFieldValue<float[]>(1));
            Assert.True(reader.GetBoolean(2));
            rows++;
        }
        Assert.Equal(loaded.Count, rows);
    }

    [Theory]
    [InlineData("collection", "a", true)]
    [InlineData("collection", "A0_.-z", true)]
    [InlineData("collection", "x{64}", true)]
    [InlineData("collection", "x{65}", false)]
    [InlineData("collection", "_a", false)]
    [InlineData("collection", "a b", false)]
    [InlineData("collection", "", false)]
    [InlineData("image_sha256", "0{64}", true)]
    [InlineData("image_sha256", "af{32}", true)]
    [InlineData("image_sha256", "0{63}", false)]
    [InlineData("image_sha256", "0{65}", false)]
    [InlineData("image_sha256", "AF{32}", false)]
    [InlineData("image_sha256", "0{63}g", false)]
    public async Task The_database_checks_collection_names_and_image_hashes_itself(string column, string pattern, bool accepted)
    {
        // What the store validates before writing; the checks guard rows written by anything else. 0004 rewrote them
        // without bounded repeats, accepting the same strings.
        var row = new Dictionary<string, string> { ["collection"] = SyntheticFaces.NewCollection(), ["image_sha256"] = new string('0', 64) };
        row[column] = Expand(pattern);
        await using var insert = fixture.Schema.DataSource.CreateCommand("""
            INSERT INTO faces (face_id, collection, subject, model_id, code, embedding, box_x, box_y, box_width, box_height, score, image_sha256)
            SELECT gen_random_uuid(), @collection, 's', 'm', c, face_code_to_halfvec(c), 0, 0, 1, 1, 1, @image_sha256
            FROM (SELECT decode(repeat('01', 128), 'hex') AS c) AS code
            """);
        insert.Parameters.AddWithValue("collection", row["collection"]);
        insert.Parameters.AddWithValue("image_sha256", row["image_sha256"]);

        if (accepted)
        {
            Assert.Equal(1, await insert.ExecuteNonQueryAsync());
            return;
        }
        var error = await Assert.ThrowsAsync<PostgresException>(() => insert.ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.CheckViolation, error.SqlState);
        Assert.Equal($"faces_{column}_check", error.ConstraintName);
    }

    /// <summary>"ab{3}c" → "abababc": the text before the braces repeated, then the rest.</summary>
    private static string Expand(string pattern)
    {
        var (open, close) = (pattern.IndexOf('{'), pattern.IndexOf('}'));
        return open < 0 ? pattern
            : string.Concat(Enumerable.Repeat(pattern[..open], int.Parse(pattern[(open + 1)..close]))) + pattern[(close + 1)..];
    }

    [Fact]
    public async Task Exact_search_returns_what_brute_force_over_the_stored_codes_returns()
    {
        var collection = SyntheticFaces.NewCollection();
        var centres = Enumerable.Range(0, 150).Select(_ => faces.NewSubject()).ToArray();
        await loader.BulkLoadAsync(collection, Model,
            centres.SelectMany((c, s) => Enumerable.Range(0, 4).Select(_ => faces.Face($"s{s:D3}", faces.CodeNear(c)))).ToList());
        var codes = await store.GetCodesAsync(collection, Model, null);

        var queries = centres.Take(10).Select(faces.CodeNear).Concat(Enumerable.Range(0, 10).Select(_ => faces.CodeNear(faces.NewSubject())));
        foreach (var query in queries)
        {
            // Each subject as its template; the database averages in another order, so a code may differ by a rounding step.
            var expected = codes.GroupBy(c => c.Subject)
                .Select(g => (Subject: g.Key, Distance: SubjectTemplate.Distance(faces.Quantizer, query, SubjectTemplate.Combine(faces.Quantizer, g.Select(c => c.Code).ToList()))))
                .OrderBy(m => m.Distance).Take(7).ToList();
            var found = await search.ExactSearchSubjectsAsync(collection, Model, query, 7);
            Assert.Equal(expected.Select(e => e.Subject), found.Select(f => f.Subject));
            Assert.All(found.Zip(expected), p => Assert.Equal(p.Second.Distance, p.First.Distance, 2e-4f));
            Assert.All(found, f => Assert.Equal(4, f.Faces));
        }
    }

    [Fact]
    public async Task A_bad_face_stores_nothing_and_names_the_face()
    {
        var collection = SyntheticFaces.NewCollection();
        var centre = faces.NewSubject();
        var batch = Enumerable.Range(0, 3).Select(i => faces.Face($"s{i}", faces.CodeNear(centre)))
            .Append(faces.Face("short-code", [1, 2, 3]));

        var error = await Assert.ThrowsAsync<FaceServiceException>(() => loader.BulkLoadAsync(collection, Model, batch));

        Assert.Equal(FaceServiceError.ValidationFailed, error.Error);
        Assert.Equal("faces[3].code", error.Target);
        Assert.DoesNotContain(await store.ListCollectionsAsync(), c => c.Collection == collection);
    }

    [Fact]
    public async Task A_face_already_stored_fails_the_whole_load()
    {
        var collection = SyntheticFaces.NewCollection();
        var existing = faces.Face("alice", faces.CodeNear(faces.NewSubject()));
        await store.EnrollAsync(collection, Model, [existing]);

        var error = await Assert.ThrowsAsync<PostgresException>(() => loader.BulkLoadAsync(collection, Model,
            [faces.Face("bob", faces.CodeNear(faces.NewSubject())), existing]));

        Assert.Equal(PostgresErrorCodes.UniqueViolation, error.SqlState);
        Assert.Equal(["alice"], (await store.ListSubjectsAsync(collection, 1, 10)).Items.Select(s => s.Subject));
    }

    [Fact]
    public async Task A_load_longer_than_the_command_timeout_completes()
    {
        // Thousands of new subjects each put a template into the search index: seconds of work for one COPY.
        await using var schema = await IsolatedSchema.CreateAsync(o => o.CommandTimeoutSeconds = 1);
        await schema.Migrator.MigrateAsync();
        var collection = SyntheticFaces.NewCollection();
        var load = Enumerable.Range(0, 6_000).Select(s => faces.Face($"s{s:D4}", faces.CodeNear(faces.NewSubject()))).ToList();

        Assert.Equal(load.Count, await schema.BulkLoader.BulkLoadAsync(collection, Model, load));
        Assert.Equal(load.Count, (await schema.Store.GetGallerySizeAsync(collection, Model)).Subjects);
    }
}
