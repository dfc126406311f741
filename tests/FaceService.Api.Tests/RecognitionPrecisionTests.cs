using FaceService.Api.Tests.Infrastructure;
using FaceService.Api.Tests.ScaleOut;
using FaceService.Core.Faces;
using FaceService.Inference;
using FaceService.Inference.Recognition;
using Microsoft.Extensions.DependencyInjection;

namespace FaceService.Api.Tests;

/// <summary>
/// The default recognition precision (Auto) on a real database: a fresh one gets the build the CPU runs best, and one
/// that holds faces keeps the build that embedded them, so an upgrade does not leave its stored faces unmatched.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class RecognitionPrecisionTests
{
    [Fact]
    public async Task Auto_keeps_the_build_the_stored_faces_were_embedded_by()
    {
        await using var schema = await PrivateSchema.CreateAsync("precision");
        var person = DevPhotos.People.First(p => p.Photos.Count >= 2);

        string float32ModelId;
        using (var float32 = new SchemaFactory(schema.ConnectionString, "Float32"))
        {
            using var client = float32.CreateClient();
            await client.EnrollOkAsync("people", person.Name, person.Photos[0]);
            float32ModelId = float32.Services.GetRequiredService<IFacePipeline>().ModelId;
            Assert.StartsWith("dlib-resnet-v1+", float32ModelId);
        }

        using var auto = new SchemaFactory(schema.ConnectionString, precision: null);
        using var autoClient = auto.CreateClient();
        var answer = await autoClient.IdentifyOkAsync("people", person.Photos[1]);

        var choice = auto.Services.GetRequiredService<RecognitionPrecisionChoice>();
        Assert.Equal(RecognitionPrecision.Float32, choice.Precision);
        Assert.Contains("1 stored faces were embedded by the float32 build", choice.Reason);
        Assert.Equal(float32ModelId, auto.Services.GetRequiredService<IFacePipeline>().ModelId);
        Assert.Contains(person.Name, answer.ToJsonString());
    }

    [Fact]
    public async Task Auto_on_a_fresh_database_runs_int8_where_the_cpu_has_int8_dot_products()
    {
        await using var schema = await PrivateSchema.CreateAsync("precision");
        var person = DevPhotos.People.First(p => p.Photos.Count >= 2);

        using var auto = new SchemaFactory(schema.ConnectionString, precision: null);
        using var client = auto.CreateClient();
        await client.EnrollOkAsync("people", person.Name, person.Photos[0]);
        var answer = await client.IdentifyOkAsync("people", person.Photos[1]);

        // This machine's CPU decides which; both are stated, so the test holds on either kind of machine.
        var expected = RecognitionPrecisionChoice.CpuHasInt8DotProducts ? RecognitionPrecision.Int8 : RecognitionPrecision.Float32;
        Assert.Equal(expected, auto.Services.GetRequiredService<RecognitionPrecisionChoice>().Precision);
        Assert.Equal(expected == RecognitionPrecision.Int8,
            auto.Services.GetRequiredService<IFacePipeline>().ModelId.StartsWith("dlib-resnet-v1-int8+", StringComparison.Ordinal));
        Assert.Contains(person.Name, answer.ToJsonString());
    }

    /// <summary>The service on its own schema, with the recognition precision configured (null: the default).</summary>
    private sealed class SchemaFactory(string connectionString, string? precision) : ApiFactory
    {
        protected override string StoreConnectionString => connectionString;

        protected override IReadOnlyDictionary<string, string?> ExtraSettings => precision is null
            ? new Dictionary<string, string?> { ["Inference:WarmUp"] = "false" }
            : new Dictionary<string, string?> { ["Inference:WarmUp"] = "false", ["Inference:RecognitionPrecision"] = precision };
    }
}
