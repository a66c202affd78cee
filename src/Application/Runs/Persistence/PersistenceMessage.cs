using Agents.Domain.Runs;
using Agents.Domain.Usage;

namespace Agents.Application.Runs.Persistence;

/// <summary>
/// A write for the persistence workers. Exactly one of the payloads is set. A run update too large for a queue
/// message is stored first and referenced (<see cref="UpdateRef"/>), the claim-check pattern.
/// </summary>
public sealed record PersistenceMessage
{
    public RunRef? Run { get; init; }
    public RunUpdate? Update { get; init; }
    public long? UpdateRef { get; init; }

    /// <summary>
    /// The position whose event ids the update's events take. Set when the events are held back until the update is
    /// durable (see <see cref="RunPersistence.IsHeldUntilDurable"/>); the persistence worker then appends them.
    /// </summary>
    public int? EventPosition { get; init; }
    public UsageRecord? Usage { get; init; }
    public ThreadDeletion? ThreadDeleted { get; init; }

    /// <summary>The <c>traceparent</c> of the work that sent it: the parent of the span that applies it (a queue keeps no trace context).</summary>
    public string? TraceParent { get; init; }

    /// <summary>How often the write was put back because it depended on one not yet applied.</summary>
    public int Deferrals { get; init; }

    /// <summary>
    /// A run update as a write. Its events travel with it only when they are held back until it is durable
    /// (<see cref="RunPersistence.IsHeldUntilDurable"/>), at the step's <paramref name="position"/>; otherwise they are in the log already.
    /// </summary>
    public static PersistenceMessage ForUpdate(RunRef run, RunUpdate update, int position)
    {
        var held = RunPersistence.IsHeldUntilDurable(update);
        return new PersistenceMessage { Run = run, Update = held ? update : update with { Events = [] }, EventPosition = held ? position : null };
    }
}

/// <summary>
/// A deleted thread whose messages, runs and events are to be removed. <see cref="ActiveRunId"/> is the run that was
/// active when it was deleted (and cancelled then): the cleanup waits until it has ended, so the run's last writes do
/// not outlive the cleanup.
/// </summary>
public sealed record ThreadDeletion(string UserId, string ThreadId, string? ActiveRunId = null);
