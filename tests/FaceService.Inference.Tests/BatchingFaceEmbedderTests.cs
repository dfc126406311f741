using FaceService.Core.Imaging;
using Microsoft.Extensions.DependencyInjection;
using FaceService.Inference.Alignment;
using FaceService.Inference.Recognition;

namespace FaceService.Inference.Tests;

[Collection(ModelsCollection.Name)]
public sealed class BatchingFaceEmbedderTests(ModelsFixture models)
{
    private RecognitionNet Net => models.Services.GetRequiredService<RecognitionNet>();

    private IReadOnlyList<RgbaImage> Chips(int count)
    {
        var aligner = new FaceChipAligner(FaceAlignment.Landmarks68);
        return DevPhotos.SingleFacePhotos.Take(count).Select(p =>
        {
            var image = models.Decoder.Decode(DevPhotos.Read(p.Path));
            var face = models.Detector.Detect(image)[0];
            return aligner.Align(image, models.Landmarker.Detect(image, [face.Box])[0]);
        }).ToArray();
    }

    [Fact]
    public async Task Concurrent_requests_share_runs_and_each_gets_its_own_embedding()
    {
        var chips = Chips(6);
        var alone = chips.Select(c => Net.Embed([c])[0]).ToArray();
        await using var embedder = new BatchingFaceEmbedder(Net, "test", maxBatchSize: 16, maxBatchWaitMs: 300);

        var results = await Task.WhenAll(chips.Select(c => Task.Run(() => embedder.EmbedAsync([c]))));

        for (var i = 0; i < chips.Count; i++)
        {
            var maxDifference = alone[i].Zip(results[i][0], (a, b) => Math.Abs(a - b)).Max();
            Assert.True(maxDifference < 1e-4, $"chip {i}: batched result differs by {maxDifference}");
        }
        Assert.Equal(chips.Count, embedder.ChipsEmbedded);
        Assert.True(embedder.BatchesRun < chips.Count, $"{embedder.BatchesRun} runs for {chips.Count} concurrent chips");
    }

    [Fact]
    public async Task A_request_with_several_chips_runs_them_together_in_order()
    {
        var chips = Chips(3);
        await using var embedder = new BatchingFaceEmbedder(Net, "test", maxBatchSize: 16, maxBatchWaitMs: 0);

        var result = await embedder.EmbedAsync(chips);

        Assert.Equal(1, embedder.BatchesRun);
        for (var i = 0; i < chips.Count; i++)
            Assert.True(Net.Embed([chips[i]])[0].Zip(result[i], (a, b) => Math.Abs(a - b)).Max() < 1e-4);
    }

    [Fact]
    public async Task A_cancelled_request_stops_waiting_and_others_complete()
    {
        var chips = Chips(2);
        await using var embedder = new BatchingFaceEmbedder(Net, "test", maxBatchSize: 16, maxBatchWaitMs: 500);
        using var cancel = new CancellationTokenSource();

        var kept = embedder.EmbedAsync([chips[0]]);
        var cancelled = embedder.EmbedAsync([chips[1]], cancel.Token);
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Single(await kept);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => embedder.EmbedAsync([chips[0]], cancel.Token));
    }

    [Fact]
    public async Task Disposal_drains_the_queue_then_refuses_new_work()
    {
        var chips = Chips(4);
        var embedder = new BatchingFaceEmbedder(Net, "test", maxBatchSize: 2, maxBatchWaitMs: 50);

        var pending = chips.Select(c => embedder.EmbedAsync([c])).ToArray();
        await embedder.DisposeAsync();

        Assert.All(await Task.WhenAll(pending), r => Assert.Single(r));
        Assert.Equal(chips.Count, embedder.ChipsEmbedded);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => embedder.EmbedAsync([chips[0]]));
    }

    [Fact]
    public async Task Chips_of_the_wrong_size_are_refused_before_they_reach_a_shared_batch()
    {
        await using var embedder = new BatchingFaceEmbedder(Net, "test", maxBatchSize: 16, maxBatchWaitMs: 0);
        await Assert.ThrowsAsync<ArgumentException>(() => embedder.EmbedAsync([new RgbaImage(100, 100, new byte[100 * 100 * 4])]));
        Assert.Equal(0, embedder.BatchesRun);
    }
}
