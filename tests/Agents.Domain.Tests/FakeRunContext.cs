using System.Text.Json;
using Agents.Domain.Agents;
using Agents.Domain.Conversations;
using Agents.Domain.Runs;
using Agents.Domain.Usage;

namespace Agents.Domain.Tests;

/// <summary>
/// An in-memory run context. Model turns are scripted by call order; tools, reviews and approvals are answered by
/// functions; every call and every update is recorded in order. Everything completes synchronously and the clock only
/// moves when the loop calls out (one second a call), so two runs of the same script are identical.
/// </summary>
internal sealed class FakeRunContext(RunInput input) : IAgentRunContext
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Queue<Func<ModelCall, ModelTurn>> script = new();
    private Func<ModelCall, ModelTurn>? whenScriptEnds;

    public DateTimeOffset UtcNow { get; set; } = TestData.Start;

    public Func<ToolInvocation, ToolResult> Tool { get; set; } = i => new ToolResult(i.ToolCallId, $"{i.Name} says ok");
    public Func<ToolInvocation, ToolReview> Review { get; set; } = _ => ToolReview.Allowed;
    public Func<ToolInvocation, ApprovalDecision> Approval { get; set; } = _ => new ApprovalDecision(ApprovalOutcome.Approved);

    /// <summary>Every call in order, one short line each: <c>model 0</c>, <c>tool call_1</c>, <c>save 2 in_progress</c>.</summary>
    public List<string> Log { get; } = [];

    /// <summary>Every call with its argument serialized when it was made, as an engine's journal would hold it.</summary>
    public List<string> Journal { get; } = [];

    public List<ModelCall> ModelCalls { get; } = [];
    public List<ToolInvocation> ToolCalls { get; } = [];
    public List<ToolInvocation> Reviews { get; } = [];
    public List<(ToolInvocation Invocation, TimeSpan Timeout)> ApprovalWaits { get; } = [];
    /// <summary>The updates as a store sees them after applying each: <see cref="RunUpdate.Steps"/> merged with the earlier ones.</summary>
    public List<RunUpdate> Updates { get; } = [];

    /// <summary>The updates exactly as the loop sent them (steps: only those added or changed).</summary>
    public List<RunUpdate> SentUpdates { get; } = [];

    public RunUpdate Final => Updates[^1];
    public IEnumerable<RunEvent> Events => Updates.SelectMany(u => u.Events);

    /// <summary>Queues the next model turns, answered in order of the model calls.</summary>
    public FakeRunContext Model(params Func<ModelCall, ModelTurn>[] turns)
    {
        foreach (var turn in turns)
        {
            script.Enqueue(turn);
        }
        return this;
    }

    /// <summary>Answers every model call after the scripted ones.</summary>
    public FakeRunContext ModelAlways(Func<ModelCall, ModelTurn> turn)
    {
        whenScriptEnds = turn;
        return this;
    }

    public Task<RunInput> LoadInputAsync()
    {
        Record("load", input.Run.Id);
        return Task.FromResult(input);
    }

    public Task<ModelTurn> CallModelAsync(ModelCall modelCall)
    {
        Record($"model {modelCall.Position}", modelCall);
        ModelCalls.Add(modelCall);
        var next = script.Count > 0 ? script.Dequeue()
            : whenScriptEnds ?? throw new InvalidOperationException($"Model call {ModelCalls.Count} was not scripted.");
        return Task.FromResult(next(modelCall));
    }

    public Task<ToolReview> ReviewToolCallAsync(ToolInvocation invocation)
    {
        Record($"review {invocation.ToolCallId}", invocation);
        Reviews.Add(invocation);
        return Task.FromResult(Review(invocation));
    }

    public Task<ToolResult> CallToolAsync(ToolInvocation invocation)
    {
        Record($"tool {invocation.ToolCallId}", invocation);
        ToolCalls.Add(invocation);
        return Task.FromResult(Tool(invocation));
    }

    public Task<ApprovalDecision> WaitForApprovalAsync(ToolInvocation invocation, TimeSpan timeout)
    {
        Record($"approval {invocation.ToolCallId}", invocation);
        ApprovalWaits.Add((invocation, timeout));
        return Task.FromResult(Approval(invocation));
    }

    public Task SaveAsync(RunUpdate update)
    {
        Record($"save {update.Version} {update.Status}", update);
        SentUpdates.Add(update);
        Updates.Add(update with { Steps = RunSteps.Merge(Updates.Count > 0 ? Updates[^1].Steps : [], update.Steps) });
        return Task.CompletedTask;
    }

    private void Record<T>(string line, T argument)
    {
        Log.Add(line);
        Journal.Add($"{line} {JsonSerializer.Serialize(argument, Json)}");
        UtcNow = UtcNow.AddSeconds(1);
    }
}

/// <summary>Agents, inputs and scripted model turns for the tests.</summary>
internal static class TestData
{
    public static readonly DateTimeOffset Start = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);

    public static AgentDefinition Agent(params ToolGrant[] tools) => new()
    {
        Id = "helper",
        OwnerId = AgentDefinition.SharedOwner,
        Name = "Helper",
        Instructions = "Be brief.",
        Model = "gpt-test",
        Tools = tools,
    };

    public static RunInput Input(AgentDefinition agent, string runId = "run-1", IReadOnlyList<ChatMessage>? history = null)
    {
        var user = new ChatMessage
        {
            Id = "user-1",
            ThreadId = "thread-1",
            Role = MessageRole.User,
            Content = "What is the weather?",
            CreatedAt = Start,
        };
        var run = new Run
        {
            Id = runId,
            ThreadId = "thread-1",
            OwnerId = "user-a",
            TenantId = "tenant-a",
            AgentId = agent.Id,
            UserMessageId = user.Id,
            CreatedAt = Start,
        };
        var specs = agent.Tools
            .Select(t => new ToolSpec(t.Name, $"The {t.Name} tool", JsonSerializer.SerializeToElement(new { type = "object" })))
            .ToList();
        return new RunInput(run, agent, history ?? [], user, specs);
    }

    public static FakeRunContext Context(params ToolGrant[] tools) => new(Input(Agent(tools)));

    /// <summary>A final answer; its usage record id derives from the call's position, as the engines do.</summary>
    public static Func<ModelCall, ModelTurn> Answer(string content, int inputTokens = 10, int outputTokens = 5) =>
        call => new ModelTurn(content, [], new TokenUsage(inputTokens, outputTokens), ModelFinish.Stop, call.Model, $"usage-{call.Position}");

    /// <summary>A turn that asks for tools: each call as (id, name); arguments are <c>{"q":"id"}</c>.</summary>
    public static Func<ModelCall, ModelTurn> CallTools(params (string Id, string Name)[] calls) =>
        call => new ModelTurn(
            "",
            calls.Select(c => new ToolCall(c.Id, c.Name, $$"""{"q":"{{c.Id}}"}""")).ToList(),
            new TokenUsage(20, 8),
            ModelFinish.ToolCalls,
            call.Model,
            $"usage-{call.Position}");

    public static ChatMessage Message(string id, MessageRole role, string content = "text", string? toolCallId = null, params ToolCall[] toolCalls) => new()
    {
        Id = id,
        ThreadId = "thread-1",
        Role = role,
        Content = content,
        ToolCallId = toolCallId,
        ToolCalls = toolCalls.Length > 0 ? toolCalls : null,
    };
}
