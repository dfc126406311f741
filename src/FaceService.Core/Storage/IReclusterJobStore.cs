using FaceService.Core.Naming;

namespace FaceService.Core.Storage;

public enum JobState
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// <summary>A full recluster of a collection's unnamed faces, run in the background.</summary>
/// <param name="Stage">What it is doing: queued, loading, clustering, saving, done.</param>
/// <param name="Attempts">Runs started: more than one when a process running it stopped and another took it up.</param>
/// <param name="Faces">Faces clustered (once loaded).</param>
/// <param name="FacesLeftOut">Unnamed faces left out as low quality.</param>
/// <param name="Clusters">Clusters of two faces or more after it (once done).</param>
/// <param name="FacesMoved">Faces whose cluster changed (once done).</param>
/// <param name="GalleryFaces">The collection's faces of the model when the job was queued.</param>
/// <param name="RequestedBy">The name of the key that asked for it, or "auto" (queued by index as the collection grew).</param>
public sealed record ReclusterJob(
    Guid JobId, string Collection, string ModelId, JobState State, string Stage, float Progress, int Attempts, bool CancelRequested,
    int? Faces, int? FacesLeftOut, int? Clusters, int? FacesMoved, string? Error, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt, long GalleryFaces, string RequestedBy);

/// <summary>What a finished run reports.</summary>
public sealed record ReclusterJobResult(JobState State, int? Faces = null, int? FacesLeftOut = null, int? Clusters = null, int? FacesMoved = null,
    string? Error = null);

/// <summary>
/// Recluster jobs, kept in the database so that any replica may run one and a job outlives the process that ran it:
/// a running job beats a heartbeat, and one whose heartbeat stopped is taken up again by the next runner.
/// </summary>
public interface IReclusterJobStore
{
    /// <summary>Queues a job; <see cref="Services.FaceServiceError.JobRunning"/> while the collection already has one queued or running.</summary>
    Task<ReclusterJob> CreateAsync(CollectionName collection, string modelId, string requestedBy, CancellationToken ct = default);

    Task<ReclusterJob?> GetAsync(Guid jobId, CancellationToken ct = default);

    /// <summary>The collection's latest jobs, newest first.</summary>
    Task<IReadOnlyList<ReclusterJob>> ListAsync(CollectionName collection, int limit, CancellationToken ct = default);

    /// <summary>A queued job is cancelled at once; a running one is asked to stop. Null if no such job.</summary>
    Task<ReclusterJob?> RequestCancelAsync(Guid jobId, CancellationToken ct = default);

    /// <summary>
    /// Takes the oldest queued job, or a running one whose heartbeat is older than <paramref name="staleAfter"/>, and marks
    /// it running; a job already started <paramref name="maxAttempts"/> times fails instead. Null when there is none.
    /// </summary>
    Task<ReclusterJob?> ClaimAsync(TimeSpan staleAfter, int maxAttempts, CancellationToken ct = default);

    /// <summary>The job's heartbeat with its stage and progress. Returns whether a cancel was asked for.</summary>
    Task<bool> ReportAsync(Guid jobId, string stage, float progress, CancellationToken ct = default);

    Task FinishAsync(Guid jobId, ReclusterJobResult result, CancellationToken ct = default);
}
