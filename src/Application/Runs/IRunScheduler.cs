using Agents.Domain.Runs;

namespace Agents.Application.Runs;

/// <summary>
/// The run engine as the API sees it: Durable Functions (DurableRunScheduler in src/Functions). Starting a run schedules
/// its orchestration (instance id = run id); a decision on a parked tool call and a cancel reach it as external events.
/// Each call is safe to repeat, and an event for a run whose orchestration already ended is dropped, not an error.
/// </summary>
public interface IRunScheduler
{
    Task StartAsync(RunRef run, CancellationToken ct);

    Task RaiseApprovalAsync(RunRef run, string toolCallId, ApprovalDecision decision, CancellationToken ct);

    Task RaiseCancelAsync(RunRef run, CancellationToken ct);
}
