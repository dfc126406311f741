using System.Net;
using FaceService.Api.Tests.Infrastructure;
using FaceService.Core.Faces;
using Microsoft.Extensions.DependencyInjection;

namespace FaceService.Api.Tests;

/// <summary>
/// Every value README's configuration table offers for the settings that shape the embedding (landmarks, mirror
/// averaging, the recognition net's precision) or find the faces (detector) starts the service: a calibration ships for every model id they produce, and
/// a verify answers with thresholds from it.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class DocumentedSettingsTests
{
    public static TheoryData<string, string, string, string> DocumentedCombinations()
    {
        var data = new TheoryData<string, string, string, string>();
        foreach (var precision in new[] { "Float32", "Int8" })
        foreach (var landmarker in new[] { "Dlib68", "FaceApi68" })
        foreach (var mirror in new[] { "true", "false" })
            data.Add(landmarker, mirror, precision, "MtcnnThenSsd");
        foreach (var detector in new[] { "SsdAndMtcnn", "SsdThenMtcnn", "Mtcnn", "Ssd" })
            data.Add("Dlib68", "true", "Float32", detector);
        return data;
    }

    [Theory]
    [MemberData(nameof(DocumentedCombinations))]
    public async Task A_documented_combination_starts_and_verifies(string landmarker, string mirrorAveraging, string precision, string detector)
    {
        using var factory = new LogCapturingFactory(new Dictionary<string, string?>
        {
            ["Inference:Landmarker"] = landmarker,
            ["Inference:MirrorAveraging"] = mirrorAveraging,
            ["Inference:RecognitionPrecision"] = precision,
            ["Inference:Detector"] = detector,
            ["Inference:WarmUp"] = "false",
        });
        using var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);

        var person = DevPhotos.People.First(p => p.Photos.Count >= 2);
        var result = await client.VerifyImagesOkAsync(person.Photos[0], person.Photos[1]);
        Assert.True((bool)result["verified"]!, $"{person.Name} with {landmarker}, mirror {mirrorAveraging}, {precision}, {detector}");
        Assert.InRange((double)result["thresholdFalseAcceptRate"]!, 1e-4, 1e-2);

        var modelId = factory.Services.GetRequiredService<IFacePipeline>().ModelId;
        Assert.Equal(landmarker == "Dlib68", modelId.Contains("-dlibsp", StringComparison.Ordinal));
        Assert.Equal(mirrorAveraging == "true", modelId.Contains("+mirror", StringComparison.Ordinal));
        Assert.Equal(precision == "Int8", modelId.StartsWith("dlib-resnet-v1-int8+", StringComparison.Ordinal));
    }
}
