using FaceService.Core.Naming;
using FaceService.Core.Faces;
using FaceService.Core.Services;
using FaceService.Core.Storage;

namespace FaceService.Storage.Tests;

[Collection(StoreCollection.Name)]
public sealed class FaceStoreTests(StoreFixture fixture)
{
    private const string Model = "model-a";
    private readonly PgFaceStore store = fixture.Store;
    private readonly SyntheticFaces faces = new(seed: 7);

    private NewFace NewFace(string subject) => faces.Face(subject, faces.CodeNear(faces.NewSubject()));

    [Fact]
    public async Task Enroll_returns_the_stored_faces_in_input_order()
    {
        var collection = SyntheticFaces.NewCollection();
        NewFace[] input = [NewFace("alice"), NewFace("bob"), NewFace("alice")];

        var stored = await store.EnrollAsync(collection, Model, input);

        Assert.Equal(input.Length, stored.Count);
        Assert.Equal(input.Length, stored.Select(f => f.FaceId).Distinct().Count());
        for (var i = 0; i < input.Length; i++)
        {
            Assert.Equal(input[i].Subject, stored[i].Subject);
            Assert.Equal(input[i].Box, stored[i].Box);
            Assert.Equal(input[i].Score, stored[i].Score);
            Assert.Equal(input[i].ImageSha256, stored[i].ImageSha256);
            Assert.Equal(collection, stored[i].Collection);
            Assert.Equal(Model, stored[i].ModelId);
        }
        var codes = (await store.GetSubjectCodesAsync(collection, Model, SubjectId.Parse("alice"))).ToDictionary(c => c.FaceId, c => c.Code);
        Assert.Equal(2, codes.Count);
        Assert.Equal(input[0].Code, codes[stored[0].FaceId]);
        Assert.Equal(input[2].Code, codes[stored[2].FaceId]);
    }

    [Fact]
    public async Task Enrolling_the_same_image_again_returns_the_stored_face_instead_of_a_copy()
    {
        var collection = SyntheticFaces.NewCollection();
        var face = NewFace("carol");
        var first = await store.EnrollAsync(collection, Model, [face]);
        // Same subject, image and model, even with another box: the stored face is returned as it is.
        var again = await store.EnrollAsync(collection, Model, [face with { Box = new FaceBox(1, 2, 3, 4) }, NewFace("carol")]);

        Assert.Equal(first[0], again[0]);
        Assert.NotEqual(first[0].FaceId, again[1].FaceId);
        Assert.Equal(2, (await store.GetSubjectFacesAsync(collection, SubjectId.Parse("carol"))).Count);
    }

    [Fact]
    public async Task The_same_face_twice_in_one_batch_is_stored_once()
    {
        var collection = SyntheticFaces.NewCollection();
        var face = NewFace("cleo");

        var stored = await store.EnrollAsync(collection, Model, [face, face]);

        Assert.Equal(stored[0], stored[1]);
        Assert.Single(await store.GetSubjectFacesAsync(collection, SubjectId.Parse("cleo")));
    }

    [Fact]
    public async Task The_same_image_for_another_subject_or_model_is_another_face()
    {
        var collection = SyntheticFaces.NewCollection();
        var face = NewFace("dave");
        var original = (await store.EnrollAsync(collection, Model, [face]))[0];
        var otherSubject = (await store.EnrollAsync(collection, Model, [face with { Subject = SubjectId.Parse("erin") }]))[0];
        var otherModel = (await store.EnrollAsync(collection, "model-b", [face]))[0];

        Assert.Equal(3, new[] { original.FaceId, otherSubject.FaceId, otherModel.FaceId }.Distinct().Count());
        Assert.Equal("model-b", otherModel.ModelId);
    }

    [Fact]
    public async Task Concurrent_enrollments_of_one_face_store_it_once()
    {
        var collection = SyntheticFaces.NewCollection();
        var face = NewFace("frank");

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => store.EnrollAsync(collection, Model, [face])));

        Assert.Single(results.Select(r => r[0].FaceId).Distinct());
        Assert.Single(await store.GetSubjectFacesAsync(collection, SubjectId.Parse("frank")));
    }

    public static TheoryData<string> InvalidFaces => ["short code", "zero code", "bad hash", "no subject", "NaN score", "empty box"];

    [Theory]
    [MemberData(nameof(InvalidFaces))]
    public async Task A_batch_with_one_invalid_face_stores_nothing(string defect)
    {
        var collection = SyntheticFaces.NewCollection();
        var valid = NewFace("grace");
        var invalid = defect switch
        {
            "short code" => valid with { Code = valid.Code[..127] },
            "zero code" => valid with { Code = new sbyte[128] },
            "bad hash" => valid with { ImageSha256 = "not-a-hash" },
            "no subject" => valid with { Subject = default },
            "NaN score" => valid with { Score = float.NaN },
            "empty box" => valid with { Box = new FaceBox(10, 10, 0, 20) },
            _ => throw new ArgumentOutOfRangeException(nameof(defect)),
        };

        var error = await Assert.ThrowsAsync<FaceServiceException>(
            () => store.EnrollAsync(collection, Model, [valid, NewFace("heidi"), invalid]));

        Assert.Equal(FaceServiceError.ValidationFailed, error.Error);
        Assert.StartsWith("faces[2]", error.Target);
        Assert.DoesNotContain(await store.ListCollectionsAsync(), c => c.Collection == collection);
    }

    [Fact]
    public async Task Subjects_are_listed_in_pages_in_name_order_with_the_total()
    {
        var collection = SyntheticFaces.NewCollection();
        var names = Enumerable.Range(0, 25).Select(i => $"subject-{i:D2}").ToArray();
        await store.EnrollAsync(collection, Model, names.SelectMany(n => new[] { NewFace(n), NewFace(n) }).ToList());

        var pages = new List<Paged<SubjectSummary>>();
        for (var page = 1; page <= 4; page++) pages.Add(await store.ListSubjectsAsync(collection, page, 10));

        Assert.Equal([10, 10, 5, 0], pages.Select(p => p.Items.Count));
        Assert.All(pages, p => Assert.Equal(25, p.Total));
        Assert.Equal(names, pages.SelectMany(p => p.Items).Select(s => s.Subject));
        Assert.All(pages.SelectMany(p => p.Items), s =>
        {
            Assert.Equal(2, s.FaceCount);
            Assert.Equal(collection, s.Collection);
            Assert.True(s.CreatedAt <= s.UpdatedAt);
        });
    }

    [Fact]
    public async Task A_subject_summary_counts_its_faces_across_models_and_is_null_when_unknown()
    {
        var collection = SyntheticFaces.NewCollection();
        var a = await store.EnrollAsync(collection, Model, [NewFace("judy"), NewFace("judy")]);
        var b = await store.EnrollAsync(collection, "model-b", [NewFace("judy")]);

        var summary = await store.GetSubjectAsync(collection, SubjectId.Parse("judy"));

        Assert.NotNull(summary);
        Assert.Equal(3, summary.FaceCount);
        Assert.Equal(a.Concat(b).Min(f => f.CreatedAt), summary.CreatedAt);
        Assert.Equal(a.Concat(b).Max(f => f.CreatedAt), summary.UpdatedAt);
        Assert.Null(await store.GetSubjectAsync(collection, SubjectId.Parse("nobody")));
        Assert.Equal(3, (await store.GetSubjectFacesAsync(collection, SubjectId.Parse("judy"))).Count);
    }

    [Fact]
    public async Task Codes_are_read_per_model_and_optionally_by_face_id()
    {
        var collection = SyntheticFaces.NewCollection();
        var modelA = await store.EnrollAsync(collection, Model, [NewFace("kim"), NewFace("leo"), NewFace("leo")]);
        await store.EnrollAsync(collection, "model-b", [NewFace("kim")]);

        var all = await store.GetCodesAsync(collection, Model, null);
        var some = await store.GetCodesAsync(collection, Model, [modelA[0].FaceId, modelA[2].FaceId, Guid.NewGuid()]);

        Assert.Equal(modelA.Select(f => f.FaceId).Order(), all.Select(c => c.FaceId).Order());
        Assert.Equal(new[] { modelA[0].FaceId, modelA[2].FaceId }.Order(), some.Select(c => c.FaceId).Order());
        Assert.Empty(await store.GetCodesAsync(collection, Model, []));
        Assert.Single(await store.GetSubjectCodesAsync(collection, "model-b", SubjectId.Parse("kim")));
        Assert.Empty(await store.GetSubjectCodesAsync(collection, "model-b", SubjectId.Parse("leo")));
    }

    [Fact]
    public async Task Image_hashes_are_read_per_subject_and_model()
    {
        var collection = SyntheticFaces.NewCollection();
        var owen = await store.EnrollAsync(collection, Model, [NewFace("owen"), NewFace("owen")]);
        await store.EnrollAsync(collection, Model, [NewFace("pia")]);
        await store.EnrollAsync(collection, "model-b", [NewFace("owen")]);

        var hashes = await store.GetSubjectImageHashesAsync(collection, Model, SubjectId.Parse("owen"));

        Assert.Equal(owen.Select(f => f.ImageSha256).Order(), hashes.Order());
        Assert.Empty(await store.GetSubjectImageHashesAsync(collection, Model, SubjectId.Parse("nobody")));
        Assert.Empty(await store.GetSubjectImageHashesAsync(SyntheticFaces.NewCollection(), Model, SubjectId.Parse("owen")));
    }

    [Fact]
    public async Task Deleting_a_subject_erases_all_of_its_faces_and_nothing_else()
    {
        var collection = SyntheticFaces.NewCollection();
        await store.EnrollAsync(collection, Model, [NewFace("mia"), NewFace("mia"), NewFace("ned")]);
        await store.EnrollAsync(collection, "model-b", [NewFace("mia")]);

        Assert.Equal(3, await store.DeleteSubjectAsync(collection, SubjectId.Parse("mia")));
        Assert.Equal(0, await store.DeleteSubjectAsync(collection, SubjectId.Parse("mia")));
        Assert.Null(await store.GetSubjectAsync(collection, SubjectId.Parse("mia")));
        Assert.Empty(await store.GetSubjectCodesAsync(collection, Model, SubjectId.Parse("mia")));
        Assert.Equal(1, (await store.GetSubjectAsync(collection, SubjectId.Parse("ned")))?.FaceCount);
    }

    [Fact]
    public async Task Deleting_a_face_removes_only_that_face()
    {
        var collection = SyntheticFaces.NewCollection();
        var stored = await store.EnrollAsync(collection, Model, [NewFace("olga"), NewFace("olga")]);

        Assert.True(await store.DeleteFaceAsync(stored[0].FaceId));
        Assert.False(await store.DeleteFaceAsync(stored[0].FaceId));
        Assert.Equal([stored[1].FaceId], (await store.GetSubjectFacesAsync(collection, SubjectId.Parse("olga"))).Select(f => f.FaceId));
    }

    [Fact]
    public async Task Collections_are_listed_with_counts_and_deleted_independently()
    {
        var first = SyntheticFaces.NewCollection();
        var second = SyntheticFaces.NewCollection();
        await store.EnrollAsync(first, Model, [NewFace("pat"), NewFace("pat"), NewFace("quinn")]);
        await store.EnrollAsync(second, Model, [NewFace("pat")]);

        var listed = (await store.ListCollectionsAsync()).Where(c => c.Collection == first || c.Collection == second).ToList();
        Assert.Equal(new[] { new CollectionSummary(first, 2, 3), new CollectionSummary(second, 1, 1) }.OrderBy(c => c.Collection), listed);

        Assert.Equal(3, await store.DeleteCollectionAsync(first));
        Assert.Equal(0, await store.DeleteCollectionAsync(first));
        var remaining = await store.ListCollectionsAsync();
        Assert.DoesNotContain(remaining, c => c.Collection == first);
        Assert.Contains(new CollectionSummary(second, 1, 1), remaining);
    }
}
