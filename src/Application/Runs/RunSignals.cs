namespace Agents.Application.Runs;

/// <summary>
/// In-process cancellation of runs executing here: a cancel request that lands on the same instance stops the model
/// stream at once. Other instances learn of it from the run document (see <see cref="CancellationWatch"/>).
/// Registrations are counted, since parallel steps of one run register the same run.
/// </summary>
public sealed class RunSignals
{
    private readonly Dictionary<string, (CancellationTokenSource Source, int Count)> active = new(StringComparer.Ordinal);
    private readonly Lock gate = new();

    /// <summary>The run's token, valid until the returned registration is disposed.</summary>
    public Registration Register(string runId)
    {
        lock (gate)
        {
            var entry = active.TryGetValue(runId, out var e) ? e : (Source: new CancellationTokenSource(), Count: 0);
            active[runId] = (entry.Source, entry.Count + 1);
            return new Registration(this, runId, entry.Source.Token);
        }
    }

    /// <summary>Signals the run if it executes in this process; false otherwise.</summary>
    public bool TryCancel(string runId)
    {
        lock (gate)
        {
            if (!active.TryGetValue(runId, out var entry))
            {
                return false;
            }
            entry.Source.Cancel();
            return true;
        }
    }

    private void Release(string runId)
    {
        lock (gate)
        {
            if (!active.TryGetValue(runId, out var entry))
            {
                return;
            }
            if (entry.Count > 1)
            {
                active[runId] = (entry.Source, entry.Count - 1);
                return;
            }
            active.Remove(runId);
            entry.Source.Dispose();
        }
    }

    public sealed class Registration(RunSignals owner, string runId, CancellationToken token) : IDisposable
    {
        public CancellationToken Token { get; } = token;

        public void Dispose() => owner.Release(runId);
    }
}
