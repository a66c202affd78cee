namespace Agents.Application.Runs;

/// <summary>
/// A token that fires when the run is cancelled: at once for a cancel received by this process, and within
/// <see cref="PollInterval"/> for one received by another instance (it polls the run document's flag).
/// </summary>
public sealed class CancellationWatch : IAsyncDisposable
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(300);

    private readonly CancellationTokenSource linked;
    private readonly CancellationTokenSource stop = new();
    private readonly Task poller;

    private readonly RunSignals.Registration registration;

    private CancellationWatch(Func<CancellationToken, Task<bool>> isCancelRequested, RunSignals.Registration registration, CancellationToken outer)
    {
        this.registration = registration;
        linked = CancellationTokenSource.CreateLinkedTokenSource(registration.Token, outer);
        poller = PollAsync(isCancelRequested);
    }

    public CancellationToken Token => linked.Token;

    public static CancellationWatch Start(RunSignals signals, RunStore runs, RunRef run, CancellationToken outer)
    {
        return new CancellationWatch(async ct =>
            (await runs.GetAsync(run.UserId, run.ThreadId, run.RunId, ct).ConfigureAwait(false))?.Value.CancelRequested ?? true,
            signals.Register(run.RunId), outer);
    }

    private async Task PollAsync(Func<CancellationToken, Task<bool>> isCancelRequested)
    {
        while (!linked.IsCancellationRequested && !stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(PollInterval, stop.Token).ConfigureAwait(false);
                if (await isCancelRequested(stop.Token).ConfigureAwait(false))
                {
                    await linked.CancelAsync().ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception) when (!stop.IsCancellationRequested)
            {
                // A failed poll only delays a remote cancel; the next poll tries again.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await poller.ConfigureAwait(false);
        stop.Dispose();
        linked.Dispose();
        registration.Dispose();
    }
}
