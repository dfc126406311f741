using System.Diagnostics.Metrics;
using System.Threading.Channels;
using FaceService.Core.Imaging;

namespace FaceService.Inference.Recognition;

/// <summary>
/// Micro-batching in front of the recognition net: chips of concurrent requests queue in a channel and one worker runs
/// them together, up to <see cref="InferenceOptions.MaxBatchSize"/> chips, waiting at most
/// <see cref="InferenceOptions.MaxBatchWaitMs"/> for more after the first. Each caller awaits only its own chips; a
/// cancelled chip is skipped if it has not run yet. Disposal stops new work and drains the queue.
/// </summary>
public sealed class BatchingFaceEmbedder : IAsyncDisposable, IDisposable
{
    private sealed record Job(RgbaImage Chip, TaskCompletionSource<float[]> Result, CancellationToken Cancellation);

    /// <summary>Meter of the inference layer; the host exports it with its other "FaceService*" meters.</summary>
    public const string MeterName = "FaceService.Inference";

    private static readonly Meter InferenceMeter = new(MeterName);

    private static readonly Histogram<int> BatchSizes = InferenceMeter.CreateHistogram<int>(
        "faceservice.recognition.batch_size", "{chip}", "Chips per ONNX Runtime run of the recognition net.");

    private readonly RecognitionNet _net;
    private readonly int _maxBatchSize;
    private readonly TimeSpan _maxBatchWait;
    private readonly Channel<Job> _queue = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _worker;
    private long _batches;
    private long _chips;

    public BatchingFaceEmbedder(RecognitionNet net, string modelId, int maxBatchSize, int maxBatchWaitMs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBatchWaitMs);
        _net = net;
        ModelId = modelId;
        _maxBatchSize = maxBatchSize;
        _maxBatchWait = TimeSpan.FromMilliseconds(maxBatchWaitMs);
        _worker = Task.Run(RunBatchesAsync);
    }

    public string ModelId { get; }

    /// <summary>Recognition runs so far; <see cref="ChipsEmbedded"/> / this is the mean batch size.</summary>
    public long BatchesRun => Interlocked.Read(ref _batches);

    public long ChipsEmbedded => Interlocked.Read(ref _chips);

    public async Task<float[][]> EmbedAsync(IReadOnlyList<RgbaImage> chips, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (chips.Count == 0) return [];
        // Checked here so that one caller's bad chip cannot fail a batch shared with others.
        foreach (var chip in chips)
            if (chip.Width != RecognitionNet.ChipSize || chip.Height != RecognitionNet.ChipSize)
                throw new ArgumentException($"Chips must be {RecognitionNet.ChipSize}x{RecognitionNet.ChipSize}; got {chip.Width}x{chip.Height}.", nameof(chips));

        var results = new Task<float[]>[chips.Count];
        for (var i = 0; i < chips.Count; i++)
        {
            var job = new Job(chips[i], new TaskCompletionSource<float[]>(TaskCreationOptions.RunContinuationsAsynchronously), cancellationToken);
            if (!_queue.Writer.TryWrite(job)) throw new ObjectDisposedException(nameof(BatchingFaceEmbedder), "The embedder is shutting down.");
            results[i] = job.Result.Task;
        }
        return await Task.WhenAll(results).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task RunBatchesAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Job>(_maxBatchSize);
        var chips = new List<RgbaImage>(_maxBatchSize);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            TakeQueued(reader, batch);
            if (batch.Count > 0 && batch.Count < _maxBatchSize && _maxBatchWait > TimeSpan.Zero)
                await WaitForMoreAsync(reader, batch).ConfigureAwait(false);
            if (batch.Count == 0) continue;

            chips.Clear();
            foreach (var job in batch) chips.Add(job.Chip);
            try
            {
                var embeddings = _net.Embed(chips);
                Interlocked.Increment(ref _batches);
                Interlocked.Add(ref _chips, chips.Count);
                BatchSizes.Record(chips.Count);
                for (var i = 0; i < batch.Count; i++) batch[i].Result.TrySetResult(embeddings[i]);
            }
            catch (Exception e)
            {
                foreach (var job in batch) job.Result.TrySetException(e);
            }
        }
    }

    private void TakeQueued(ChannelReader<Job> reader, List<Job> batch)
    {
        while (batch.Count < _maxBatchSize && reader.TryRead(out var job))
        {
            if (job.Cancellation.IsCancellationRequested) job.Result.TrySetCanceled(job.Cancellation);
            else batch.Add(job);
        }
    }

    private async Task WaitForMoreAsync(ChannelReader<Job> reader, List<Job> batch)
    {
        using var deadline = new CancellationTokenSource(_maxBatchWait);
        try
        {
            while (batch.Count < _maxBatchSize && await reader.WaitToReadAsync(deadline.Token).ConfigureAwait(false))
                TakeQueued(reader, batch);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            // Waited long enough: run what we have.
        }
    }

    /// <summary>Refuses new chips, runs every queued one, then returns.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _worker.ConfigureAwait(false);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
