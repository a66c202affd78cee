namespace Agents.Application.Runs;

/// <summary>
/// Everything needed to address a run's documents: the owner (partition keys start with it), the thread and the run.
/// It is in the input of the Durable orchestration and of each of its activities, and in the run's queued writes.
/// </summary>
public sealed record RunRef(string UserId, string TenantId, string ThreadId, string RunId)
{
    /// <summary>
    /// The W3C <c>traceparent</c> of the request that started the run: the parent of the run's spans wherever its work
    /// executes (Telemetry/AgentsTelemetry.ParentFor), so one trace shows the turn from the request to the end.
    /// </summary>
    public string? TraceParent { get; init; }

    /// <summary>The correlation id of that request (X-Correlation-Id, else its trace id), for the logs of the run's work.</summary>
    public string? CorrelationId { get; init; }
}
