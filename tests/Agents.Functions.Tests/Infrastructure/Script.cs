using Agents.Domain.Agents;
using Agents.Domain.Conversations;
using Agents.Domain.Runs;
using Agents.Domain.Usage;
using Agents.Functions.Runs;

namespace Agents.Functions.Tests.Infrastructure;

/// <summary>Agents and scripted model turns and tool results for the orchestration tests.</summary>
public static class Script
{
    public const string UserId = "user-a";
    public const string TenantId = "tenant-a";
    public const string ThreadId = "thread-1";
    public const string ModelName = "gpt-test";

    public static readonly DateTimeOffset Start = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);

    public static AgentDefinition Agent(params ToolGrant[] tools) => new()
    {
        Id = "helper",
        OwnerId = AgentDefinition.SharedOwner,
        Name = "Helper",
        Instructions = "Be brief.",
        Model = ModelName,
        Tools = tools,
    };

    /// <summary>The model answers the n-th call with the n-th turn; a call past the script fails the activity.</summary>
    public static Func<int, ModelStep, ModelTurn> Turns(params Func<ModelStep, ModelTurn>[] turns) =>
        (i, step) => i < turns.Length ? turns[i](step) : throw new InvalidOperationException($"Model call {i} was not scripted.");

    /// <summary>A final answer.</summary>
    public static Func<ModelStep, ModelTurn> Answer(string content) =>
        step => new ModelTurn(content, [], new TokenUsage(10, 5), ModelFinish.Stop, step.Call.Model, UsageId(step));

    /// <summary>A turn that asks for tools, each as (id, name), with arguments <c>{"q":"id"}</c>.</summary>
    public static Func<ModelStep, ModelTurn> CallTools(params (string Id, string Name)[] calls) =>
        step => new ModelTurn(
            "",
            calls.Select(c => new ToolCall(c.Id, c.Name, $$"""{"q":"{{c.Id}}"}""")).ToList(),
            new TokenUsage(20, 8),
            ModelFinish.ToolCalls,
            step.Call.Model,
            UsageId(step));

    /// <summary>The usage record id the model activity writes: the run and the call's position, as RunActivities derives it.</summary>
    public static string UsageId(ModelStep step) => FormattableString.Invariant($"{step.Run.RunId}:{step.Call.Position}");

    public static ToolResult ToolOk(ToolStep step, string suffix = "") =>
        new(step.Invocation.ToolCallId, $"{step.Invocation.Name} says ok for {step.Invocation.ToolCallId}{suffix}");

    public static ChatMessage Message(string id, MessageRole role, string content) => new()
    {
        Id = id,
        ThreadId = ThreadId,
        Role = role,
        Content = content,
        CreatedAt = Start.AddMinutes(-5),
    };
}
