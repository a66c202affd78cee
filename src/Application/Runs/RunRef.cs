namespace Agents.Application.Runs;

/// <summary>
/// Everything needed to address a run's documents: the owner (partition keys start with it), the thread and the run.
/// It is the body of the run-requests queue message and the input of the Durable orchestration.
/// </summary>
public sealed record RunRef(string UserId, string TenantId, string ThreadId, string RunId);
