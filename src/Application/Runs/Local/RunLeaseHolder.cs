using Agents.Application.Storage.Queues;

namespace Agents.Application.Runs.Local;

/// <summary>
/// This worker's lease on a run. Renewed (with the queue message's invisibility) every third of its length; when a
/// renewal fails, someone else took the run over, so the execution is cancelled before it can repeat a step.
/// </summary>
internal sealed class RunLeaseHolder : IAsyncDisposable
{
    private readonly RunStore runs;
    private readonly RunRef run;
    private readonly string holder;
    private readonly TimeSpan length;
    private readonly TimeProvider clock;
    private readonly CancellationTokenSource stop = new();
    private string etag;
    private Task renewal = Task.CompletedTask;

    private RunLeaseHolder(RunStore runs, RunRef run, string holder, TimeSpan length, TimeProvider clock, string etag)
    {
        this.runs = runs;
        this.run = run;
        this.holder = holder;
        this.length = length;
        this.clock = clock;
        this.etag = etag;
    }

    public bool Lost { get; private set; }

    public static async Task<RunLeaseHolder?> TryAcquireAsync(RunStore runs, RunRef run, string holder, TimeSpan length, TimeProvider clock, CancellationToken ct)
    {
        var existing = await runs.GetLeaseAsync(run.UserId, run.ThreadId, run.RunId, ct).ConfigureAwait(false);
        var now = clock.GetUtcNow();
        if (existing is not null && existing.Value.Holder != holder && existing.Value.Until > now)
        {
            return null;
        }
        var lease = new RunLease(RunLease.IdFor(run.RunId), run.RunId, holder, now + length);
        var etag = await runs.TryWriteLeaseAsync(run.UserId, run.ThreadId, lease, existing?.ETag, ct).ConfigureAwait(false);
        return etag is null ? null : new RunLeaseHolder(runs, run, holder, length, clock, etag);
    }

    public void KeepAlive(MessageHold hold, CancellationTokenSource execution) => renewal = RenewAsync(hold, execution);

    /// <summary>Called before every step that has effects: a lost lease must not execute anything.</summary>
    public Task EnsureHeldAsync(CancellationToken ct) =>
        Lost ? throw new OperationCanceledException("The run's lease was lost to another worker.") : Task.CompletedTask;

    private async Task RenewAsync(MessageHold hold, CancellationTokenSource execution)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(length / 3, stop.Token).ConfigureAwait(false);
                var renewed = await runs.TryWriteLeaseAsync(run.UserId, run.ThreadId,
                    new RunLease(RunLease.IdFor(run.RunId), run.RunId, holder, clock.GetUtcNow() + length), etag, stop.Token).ConfigureAwait(false);
                if (renewed is null)
                {
                    Lost = true;
                    await execution.CancelAsync().ConfigureAwait(false);
                    return;
                }
                etag = renewed;
                await hold.ExtendAsync(length, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is Microsoft.Azure.Cosmos.CosmosException or QueueServiceException or HttpRequestException)
            {
                // A failed renewal is retried at the next tick; the lease is long enough to survive one miss.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await renewal.ConfigureAwait(false);
        if (!Lost)
        {
            // Release at once so that a wake-up message (an approval) can be handled without waiting for expiry.
            await runs.TryWriteLeaseAsync(run.UserId, run.ThreadId,
                new RunLease(RunLease.IdFor(run.RunId), run.RunId, holder, clock.GetUtcNow()), etag, CancellationToken.None).ConfigureAwait(false);
        }
        stop.Dispose();
    }
}
