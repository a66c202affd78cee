using Agents.Application.Runs;

namespace Agents.Functions.Runs;

/// <summary>The orchestration's input: which run, and the deployment's settings as they were when it started.</summary>
public sealed record RunOrchestrationInput(RunRef Run, RunSettings Settings);

/// <summary>
/// What the orchestrator would otherwise read from configuration: in its input, so that a replay after a settings change
/// takes the same decisions as the first execution.
/// </summary>
public sealed record RunSettings(int ApprovalTimeoutSeconds, int MaxSteps);
