using FaceService.Core.Services;
using FaceService.Core.Storage;

namespace FaceService.Storage.Tests;

/// <summary>Recluster jobs in the database: one active per collection, taken up again when their runner stops, cancelled.</summary>
public sealed class ReclusterJobStoreTests : IAsyncLifetime
{
    private const string Model = "jobs-model";
    private IsolatedSchema _schema = null!;
    private PgReclusterJobStore _jobs = null!;

    public async Task InitializeAsync()
    {
        _schema = await IsolatedSchema.CreateAsync();
        await _schema.Migrator.MigrateAsync();
        _jobs = new PgReclusterJobStore(_schema.Database);
    }

    public async Task DisposeAsync() => await _schema.DisposeAsync();

    [Fact]
    public async Task A_collection_has_one_queued_or_running_job_at_a_time()
    {
        var collection = SyntheticFaces.NewCollection();
        var first = await _jobs.CreateAsync(collection, Model, "tester");

        var error = await Assert.ThrowsAsync<FaceServiceException>(() => _jobs.CreateAsync(collection, Model, "tester"));

        Assert.Equal(FaceServiceError.JobRunning, error.Error);
        Assert.Contains(first.JobId.ToString(), error.Message);
        await _jobs.FinishAsync(first.JobId, new ReclusterJobResult(JobState.Succeeded, Faces: 3, Clusters: 1, FacesMoved: 0));
        Assert.Equal(JobState.Queued, (await _jobs.CreateAsync(collection, Model, "tester")).State);
    }

    [Fact]
    public async Task A_job_whose_runner_stopped_is_taken_up_again_and_fails_after_its_last_attempt()
    {
        var job = await _jobs.CreateAsync(SyntheticFaces.NewCollection(), Model, "tester");
        var claimed = await _jobs.ClaimAsync(TimeSpan.FromMinutes(1), maxAttempts: 2);
        Assert.Equal((job.JobId, JobState.Running, 1), (claimed!.JobId, claimed.State, claimed.Attempts));
        // Its heartbeat is fresh: nobody else takes it.
        Assert.Null(await _jobs.ClaimAsync(TimeSpan.FromMinutes(1), maxAttempts: 2));

        // The process stopped (a heartbeat older than the stale limit): the next runner takes it up.
        await Task.Delay(50);
        var resumed = await _jobs.ClaimAsync(TimeSpan.FromMilliseconds(10), maxAttempts: 2);
        Assert.Equal((job.JobId, 2), (resumed!.JobId, resumed.Attempts));

        await Task.Delay(50);
        Assert.Null(await _jobs.ClaimAsync(TimeSpan.FromMilliseconds(10), maxAttempts: 2));
        var failed = await _jobs.GetAsync(job.JobId);
        Assert.Equal(JobState.Failed, failed!.State);
        Assert.Contains("stopped 2 times", failed.Error);
    }

    [Fact]
    public async Task A_queued_job_is_cancelled_at_once_and_a_running_one_is_asked_to_stop()
    {
        var queued = await _jobs.CreateAsync(SyntheticFaces.NewCollection(), Model, "tester");
        Assert.Equal(JobState.Cancelled, (await _jobs.RequestCancelAsync(queued.JobId))!.State);

        var running = await _jobs.CreateAsync(SyntheticFaces.NewCollection(), Model, "tester");
        await _jobs.ClaimAsync(TimeSpan.FromMinutes(1), maxAttempts: 3);
        var asked = await _jobs.RequestCancelAsync(running.JobId);
        Assert.Equal((JobState.Running, true), (asked!.State, asked.CancelRequested));
        Assert.True(await _jobs.ReportAsync(running.JobId, "clustering", 0.5f));
        Assert.Null(await _jobs.RequestCancelAsync(Guid.NewGuid()));
    }
}
