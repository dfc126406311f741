using FaceService.Core.Clustering;
using FaceService.Core.Naming;
using FaceService.Core.Storage;
using Microsoft.Extensions.Logging;

namespace FaceService.Core.Services;

/// <summary>
/// Runs recluster jobs: the collection's unnamed faces (low-quality ones left out) clustered into people at once
/// (<see cref="PeopleClusterer"/>, faces of one photo apart) and put into their new clusters, each new group keeping the
/// id of the old cluster it holds most of. A job beats a heartbeat while it runs and stops when a cancel is asked for; a
/// job whose process ended is taken up again from the start by the next runner (the work is idempotent).
/// </summary>
public sealed class ReclusterJobRunner(IReclusterJobStore jobs, IPeopleStore people, PeopleClusterer clusterer, ILogger<ReclusterJobRunner> logger)
{
    /// <summary>A running job whose heartbeat is older than this is taken to have stopped.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(30);

    /// <summary>How often a running job beats its heartbeat and looks for a cancel.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(2);

    /// <summary>Starts of one job before it is given up as failed.</summary>
    public const int MaxAttempts = 3;

    /// <summary>Takes one job and runs it to its end. Returns false when there was none to take.</summary>
    public async Task<bool> RunNextAsync(CancellationToken stopping)
    {
        var job = await jobs.ClaimAsync(StaleAfter, MaxAttempts, stopping);
        if (job is null) return false;
        logger.LogInformation("Recluster job {JobId} of collection {Collection} started (attempt {Attempt})", job.JobId, job.Collection, job.Attempts);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var progress = new Progress(job.JobId, "starting", 0f);
        var heartbeat = BeatAsync(progress, cancel);
        ReclusterJobResult result;
        try
        {
            result = await RunAsync(job, progress, cancel.Token);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            result = new ReclusterJobResult(JobState.Cancelled);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Recluster job {JobId} failed", job.JobId);
            result = new ReclusterJobResult(JobState.Failed, Error: e is FaceServiceException ? e.Message : "The recluster failed; the error is in the service's log.");
        }
        finally
        {
            await cancel.CancelAsync();
            await heartbeat;
        }
        // A process stopping leaves the job running: its heartbeat goes stale, and another runner takes it up.
        if (stopping.IsCancellationRequested) return true;
        await jobs.FinishAsync(job.JobId, result, CancellationToken.None);
        logger.LogInformation("Recluster job {JobId} {State}: {Clusters} clusters, {FacesMoved} faces moved", job.JobId,
            result.State.ToString().ToLowerInvariant(), result.Clusters, result.FacesMoved);
        return true;
    }

    private Task<ReclusterJobResult> RunAsync(ReclusterJob job, Progress progress, CancellationToken ct) =>
        ReclusterAsync(CollectionName.Parse(job.Collection), job.ModelId, progress.Set, ct);

    /// <summary>
    /// A recluster of the collection's unnamed faces, now, in this process (a job's work; the command line's index runs
    /// it at its end). <paramref name="progress"/> hears each stage and the share done.
    /// </summary>
    public async Task<ReclusterJobResult> ReclusterAsync(CollectionName collection, string modelId, Action<string, float>? progress, CancellationToken ct)
    {
        progress?.Invoke("loading", 0.05f);
        var faces = await people.GetUnnamedCodesAsync(collection, modelId, ct);
        var listing = await people.ListClustersAsync(collection, modelId, 1, 1, 1, 0, ct);
        progress?.Invoke("clustering", 0.2f);
        // The clusterer is CPU work without awaits: off the caller's thread, so that a job's heartbeat keeps beating.
        var grouping = await Task.Run(() => clusterer.Cluster([.. faces.Select(f => f.Code)], [.. faces.Select(f => (string?)f.ImageSha256)], ct), ct);
        progress?.Invoke("saving", 0.9f);
        var groups = new List<(Guid FaceId, int Group)>(faces.Count);
        for (var c = 0; c < grouping.Clusters.Count; c++) groups.AddRange(grouping.Clusters[c].Select(i => (faces[i].FaceId, c)));
        groups.AddRange(grouping.Singletons.Select((i, s) => (faces[i].FaceId, grouping.Clusters.Count + s)));
        ct.ThrowIfCancellationRequested();
        var outcome = await people.ApplyClustersAsync(collection, modelId, groups, ct);
        return new ReclusterJobResult(JobState.Succeeded, faces.Count, (int)listing.LowQualityFaces, outcome.Clusters, outcome.FacesMoved);
    }

    /// <summary>Reports the job's stage every <see cref="HeartbeatInterval"/> and cancels it when a cancel was asked for.</summary>
    private async Task BeatAsync(Progress progress, CancellationTokenSource cancel)
    {
        try
        {
            while (!cancel.IsCancellationRequested)
            {
                if (await jobs.ReportAsync(progress.JobId, progress.Stage, progress.Value, cancel.Token)) await cancel.CancelAsync();
                await Task.Delay(HeartbeatInterval, cancel.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (StoreUnavailableException e)
        {
            // Without a database the job cannot finish either; it fails or is taken up again once the database is back.
            logger.LogWarning(e, "Recluster job {JobId} could not report its progress", progress.JobId);
        }
    }

    /// <summary>The stage and progress the heartbeat reports, set by the job as it goes.</summary>
    private sealed class Progress(Guid jobId, string stage, float value)
    {
        public Guid JobId { get; } = jobId;
        public string Stage { get; private set; } = stage;
        public float Value { get; private set; } = value;

        public void Set(string stage, float value) => (Stage, Value) = (stage, value);
    }
}
