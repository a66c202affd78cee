using System.ComponentModel.DataAnnotations;

namespace Agents.Application.Runs;

public sealed class RunEngineOptions
{
    public const string Section = "Runs";

    /// <summary>Run the local engine and persistence workers in this process (the portable host). Off in a pure API tier.</summary>
    public bool EngineEnabled { get; set; } = true;

    [Range(1, 256)]
    public int MaxConcurrentRuns { get; set; } = 16;

    /// <summary>How long a parked tool call waits for a decision.</summary>
    [Range(1, 7 * 24 * 3600)]
    public int ApprovalTimeoutSeconds { get; set; } = 1800;

    /// <summary>A run still queued after this long (a backlog, or no engine running) expires instead of starting.</summary>
    [Range(1, 7 * 24 * 3600)]
    public int QueuedExpirySeconds { get; set; } = 3600;

    /// <summary>Longest wait of <c>POST .../runs?wait=true</c> before it answers 202 instead.</summary>
    [Range(1, 200)]
    public int MaxWaitSeconds { get; set; } = 60;
}
