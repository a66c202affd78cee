namespace Agents.Domain.Agents;

/// <summary>Whether a tool call must be approved by a person before it runs.</summary>
public enum ApprovalMode
{
    /// <summary>Runs without asking.</summary>
    Never,
    /// <summary>Always parks the run until a person approves or denies.</summary>
    Always,
    /// <summary>The policy chain decides: allow, block, or ask a person.</summary>
    Policy,
}

/// <summary>A tool an agent may call, and how its calls are approved.</summary>
public sealed record ToolGrant(string Name, ApprovalMode Approval = ApprovalMode.Never);

/// <summary>
/// An assistant ("specialist"): instructions, a model deployment, default parameters and the tools it may use.
/// <see cref="OwnerId"/> is a user id for a private agent or <see cref="SharedOwner"/> for one every user sees.
/// </summary>
public sealed record AgentDefinition
{
    public const string SharedOwner = "shared";
    public const string DefaultAgentId = "default";

    public required string Id { get; init; }
    public required string OwnerId { get; init; }
    public required string Name { get; init; }
    public string Instructions { get; init; } = "";
    public required string Model { get; init; }
    public ModelParameters Defaults { get; init; } = new();
    public IReadOnlyList<ToolGrant> Tools { get; init; } = [];
    public int MaxSteps { get; init; } = 8;
    public int StepTimeoutSeconds { get; init; } = 120;
    /// <summary>Approximate prompt tokens the history may use; the oldest turns are dropped first.</summary>
    public int HistoryTokenBudget { get; init; } = 8000;
    /// <summary>
    /// Optional policy override, above the stored configuration: <c>{"chain": [ids], "settings": {id: {...}}}</c>
    /// (validated by the application when the agent is saved; only admins may set it).
    /// </summary>
    public System.Text.Json.JsonElement? Policies { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public bool IsShared => OwnerId == SharedOwner;

    public ToolGrant? Grant(string toolName) => Tools.FirstOrDefault(t => string.Equals(t.Name, toolName, StringComparison.Ordinal));
}
