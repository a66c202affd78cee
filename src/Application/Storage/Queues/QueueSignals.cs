using System.Collections.Concurrent;

namespace Agents.Application.Storage.Queues;

/// <summary>
/// In-process wake-ups for queue workers: a message sent by this process wakes this process's worker at once instead
/// of at its next poll (which backs off while the queue is idle). Other instances still find it by polling.
/// </summary>
public sealed class QueueSignals
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> signals = new(StringComparer.Ordinal);

    public void Notify(string queue) => Get(queue).Release();

    /// <summary>Waits until <paramref name="timeout"/> passes or a message is sent to the queue by this process.</summary>
    public async Task WaitAsync(string queue, TimeSpan timeout, CancellationToken ct)
    {
        var signal = Get(queue);
        if (await signal.WaitAsync(timeout, ct).ConfigureAwait(false))
        {
            while (signal.CurrentCount > 0 && signal.Wait(0, CancellationToken.None))
            {
                // Several sends count as one wake-up: the worker receives a whole batch.
            }
        }
    }

    private SemaphoreSlim Get(string queue) => signals.GetOrAdd(queue, _ => new SemaphoreSlim(0));
}
