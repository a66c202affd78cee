using Agents.Domain.Agents;

namespace Agents.Application.Agents;

/// <summary>The model deployment new agents use, and the default agent that exists out of the box.</summary>
public sealed record AgentDefaults(string Model)
{
    public AgentDefinition DefaultAgent(DateTimeOffset now) => new()
    {
        Id = AgentDefinition.DefaultAgentId,
        OwnerId = AgentDefinition.SharedOwner,
        Name = "Assistant",
        Instructions = "You are a helpful assistant. Use the tools when they help; say so when you are unsure.",
        Model = Model,
        Tools =
        [
            new ToolGrant("calculator"),
            new ToolGrant("current_time"),
            new ToolGrant("save_note"),
            new ToolGrant("list_notes"),
            new ToolGrant("wait_seconds"),
            new ToolGrant("send_email", ApprovalMode.Always),
        ],
        MaxSteps = 8,
        StepTimeoutSeconds = 120,
        CreatedAt = now,
        UpdatedAt = now,
    };
}
