using System.ComponentModel.DataAnnotations;

namespace Agents.Application.Runs;

public sealed class RunEngineOptions
{
    public const string Section = "Runs";

    /// <summary>How long a parked tool call waits for a decision.</summary>
    [Range(1, 7 * 24 * 3600)]
    public int ApprovalTimeoutSeconds { get; set; } = 1800;

    /// <summary>A run still queued after this long (a backlog, or no engine running) expires instead of starting.</summary>
    [Range(1, 7 * 24 * 3600)]
    public int QueuedExpirySeconds { get; set; } = 3600;

    /// <summary>A cap on every agent's step limit (model calls per run).</summary>
    [Range(1, 1000)]
    public int MaxSteps { get; set; } = 100;

    /// <summary>
    /// A run not finished this long after it was created is stopped and failed by the sweep, whatever it waits for:
    /// the backstop for an orchestration that was terminated, failed or lost.
    /// </summary>
    [Range(5, 30 * 24 * 3600)]
    public int MaxRunSeconds { get; set; } = 24 * 3600;

    /// <summary>
    /// How long the sweep leaves a run alone after its orchestration ended (or went missing) before it concludes the
    /// run will not finish by itself: longer than a last update that went to the persist queue needs to be stored.
    /// </summary>
    [Range(1, 3600)]
    public int SweepGraceSeconds { get; set; } = 120;

    /// <summary>Longest wait of <c>POST .../runs?wait=true</c> before it answers 202 instead.</summary>
    [Range(1, 200)]
    public int MaxWaitSeconds { get; set; } = 60;
}
