using System.Diagnostics;
using System.Text.Json;
using Agents.Application.Runs;
using Agents.Application.Storage.Cosmos;
using Agents.Domain.Agents;
using Agents.Domain.Conversations;
using Agents.Domain.Errors;
using Agents.Domain.Runs;
using Agents.Functions.Runs;

namespace Agents.Functions.Tests.Infrastructure;

/// <summary>One execution of the CallTool activity (a retry is a second one), with its monotonic start and end times.</summary>
public sealed record ToolExecution(ToolStep Step, int Attempt, long StartedAt, long EndedAt, bool Succeeded)
{
    public string ToolCallId => Step.Invocation.ToolCallId;
}

/// <summary>An activity input as it crossed the activity boundary: its name and its size in the app's JSON.</summary>
public sealed record ActivityInput(string Activity, int Bytes);

/// <summary>
/// One run's in-memory activities: what LoadRunInput returns, how the model and the tools answer (scripted by call
/// order, so a run is the same every time), and a record of every activity execution with its input. The orchestrator
/// runs activities in parallel, so everything recorded is kept under one lock and read as snapshots.
/// </summary>
public sealed class RunScenario
{
    private readonly Lock gate = new();
    private readonly List<ModelStep> modelSteps = [];
    private readonly List<IReadOnlyList<ChatMessage>> prompts = [];
    private readonly List<ChatMessage> storedPrompt = [];
    private readonly Dictionary<int, int> modelCallIndexByPosition = [];
    private readonly List<string> toolStarts = [];
    private readonly List<ToolExecution> toolExecutions = [];
    private readonly Dictionary<string, int> toolAttempts = new(StringComparer.Ordinal);
    private readonly List<ReviewStep> reviews = [];
    private readonly List<SaveStep> saves = [];
    private readonly List<FailStep> fails = [];
    private readonly List<ActivityInput> inputs = [];
    private int loads;
    private int episodes;
    private int replayingEpisodes;
    private int toolsInFlight;
    private int maxToolsInFlight;
    private TaskCompletionSource changed = NewSignal();

    public RunScenario(string runId, AgentDefinition agent, IReadOnlyList<ChatMessage>? history = null)
    {
        Ref = new RunRef(Script.UserId, Script.TenantId, Script.ThreadId, runId);
        var user = new ChatMessage
        {
            Id = "user-1",
            ThreadId = Script.ThreadId,
            Role = MessageRole.User,
            Content = "What is the weather?",
            CreatedAt = Script.Start,
            SortKey = ChatMessage.MakeSortKey(Script.Start, runId, 0),
        };
        var run = new Run
        {
            Id = runId,
            ThreadId = Script.ThreadId,
            OwnerId = Script.UserId,
            TenantId = Script.TenantId,
            AgentId = agent.Id,
            UserMessageId = user.Id,
            CreatedAt = Script.Start,
        };
        var specs = agent.Tools
            .Select(t => new ToolSpec(t.Name, $"The {t.Name} tool", JsonSerializer.SerializeToElement(new { type = "object" })))
            .ToList();
        Input = new RunInput(run, agent, history ?? [], user, specs);
    }

    /// <summary>The run as the scheduler starts it; a test may add the trace context a request would give it.</summary>
    public RunRef Ref { get; set; }

    /// <summary>What LoadRunInput returns.</summary>
    public RunInput Input { get; }

    /// <summary>When set, LoadRunInput fails with this problem (as RunActivities does for a deleted agent or message).</summary>
    public ApiProblem? LoadProblem { get; set; }

    /// <summary>The model: the index of the call (the n-th distinct model call of the run) and the step as it arrived.</summary>
    public Func<int, ModelStep, ModelTurn> Model { get; set; } = (i, _) => throw new InvalidOperationException($"Model call {i} was not scripted.");

    /// <summary>A tool: the step and the attempt (1 for the first execution of that tool call, 2 for its retry, ...).</summary>
    public Func<ToolStep, int, Task<ToolResult>> Tool { get; set; } = (step, _) => Task.FromResult(Script.ToolOk(step));

    public Func<ReviewStep, ToolReview> Review { get; set; } = _ => ToolReview.Allowed;

    public int Loads => Read(() => loads);
    public IReadOnlyList<ModelStep> ModelSteps => Read(() => modelSteps.ToList());
    /// <summary>The full prompt of each model call, rebuilt from the offsets and added messages as RunActivities does.</summary>
    public IReadOnlyList<IReadOnlyList<ChatMessage>> Prompts => Read(() => prompts.ToList());
    public IReadOnlyList<string> ToolStarts => Read(() => toolStarts.ToList());
    public IReadOnlyList<ToolExecution> ToolExecutions => Read(() => toolExecutions.ToList());
    public int MaxToolsInFlight => Read(() => maxToolsInFlight);
    public IReadOnlyList<ReviewStep> Reviews => Read(() => reviews.ToList());
    public IReadOnlyList<SaveStep> Saves => Read(() => saves.ToList());
    public IReadOnlyList<RunUpdate> Updates => Read(() => saves.Select(s => s.Update).ToList());
    public IReadOnlyList<FailStep> Fails => Read(() => fails.ToList());
    public IReadOnlyList<ActivityInput> Inputs => Read(() => inputs.ToList());
    public long InputBytes => Read(() => inputs.Sum(i => (long)i.Bytes));

    /// <summary>How often the orchestrator function ran for this run, and how many of those runs began by replaying.</summary>
    public int Episodes => Volatile.Read(ref episodes);
    public int ReplayingEpisodes => Volatile.Read(ref replayingEpisodes);

    /// <summary>Total activity executions of every kind.</summary>
    public int ActivityExecutions => Read(() => loads + modelSteps.Count + toolExecutions.Count + reviews.Count + saves.Count + fails.Count);

    /// <summary>Waits until <paramref name="condition"/> holds (re-checked after every recorded activity); false on timeout.</summary>
    public async Task<bool> WaitUntilAsync(Func<RunScenario, bool> condition, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            Task next;
            lock (gate)
            {
                next = changed.Task;
            }
            if (condition(this))
            {
                return true;
            }
            try
            {
                await next.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                return condition(this);
            }
        }
    }

    internal void CountEpisode(bool replaying)
    {
        Interlocked.Increment(ref episodes);
        if (replaying)
        {
            Interlocked.Increment(ref replayingEpisodes);
        }
    }

    internal Task<RunInput> LoadAsync(RunRef run)
    {
        RecordInput(nameof(RunActivityFunctions.LoadRunInput), run);
        lock (gate)
        {
            loads++;
        }
        Signal();
        return LoadProblem is { } problem ? throw new RunFailedException(problem) : Task.FromResult(Input);
    }

    internal Task<ModelTurn> CallModelAsync(ModelStep step)
    {
        RecordInput(nameof(RunActivityFunctions.CallModel), step);
        int index;
        lock (gate)
        {
            modelSteps.Add(step);
            if (step.PromptOffset > storedPrompt.Count)
            {
                throw new InvalidOperationException($"The stored prompt has {storedPrompt.Count} messages where the model call expects {step.PromptOffset}.");
            }
            storedPrompt.RemoveRange(step.PromptOffset, storedPrompt.Count - step.PromptOffset);
            storedPrompt.AddRange(step.Call.Messages);
            prompts.Add(storedPrompt.ToList());
            if (!modelCallIndexByPosition.TryGetValue(step.Call.Position, out index))
            {
                index = modelCallIndexByPosition.Count;
                modelCallIndexByPosition[step.Call.Position] = index;
            }
        }
        Signal();
        return Task.FromResult(Model(index, step));
    }

    internal Task<ToolReview> ReviewAsync(ReviewStep step)
    {
        RecordInput(nameof(RunActivityFunctions.ReviewToolCall), step);
        lock (gate)
        {
            reviews.Add(step);
        }
        Signal();
        return Task.FromResult(Review(step));
    }

    internal async Task<ToolResult> CallToolAsync(ToolStep step)
    {
        RecordInput(nameof(RunActivityFunctions.CallTool), step);
        var id = step.Invocation.ToolCallId;
        var started = Stopwatch.GetTimestamp();
        int attempt;
        lock (gate)
        {
            attempt = toolAttempts[id] = toolAttempts.GetValueOrDefault(id) + 1;
            toolStarts.Add(id);
            toolsInFlight++;
            maxToolsInFlight = Math.Max(maxToolsInFlight, toolsInFlight);
        }
        Signal();
        var succeeded = false;
        try
        {
            var result = await Tool(step, attempt);
            succeeded = true;
            return result;
        }
        finally
        {
            lock (gate)
            {
                toolsInFlight--;
                toolExecutions.Add(new ToolExecution(step, attempt, started, Stopwatch.GetTimestamp(), succeeded));
            }
            Signal();
        }
    }

    internal Task SaveAsync(SaveStep step)
    {
        RecordInput(nameof(RunActivityFunctions.SaveRun), step);
        lock (gate)
        {
            saves.Add(step);
        }
        Signal();
        return Task.CompletedTask;
    }

    internal Task FailAsync(FailStep step)
    {
        RecordInput(nameof(RunActivityFunctions.FailRun), step);
        lock (gate)
        {
            fails.Add(step);
        }
        Signal();
        return Task.CompletedTask;
    }

    private void RecordInput<T>(string activity, T input)
    {
        // The size the input has in the orchestration history: the worker serializes it with the same options.
        var bytes = JsonSerializer.SerializeToUtf8Bytes(input, CosmosDatabase.Json).Length;
        lock (gate)
        {
            inputs.Add(new ActivityInput(activity, bytes));
        }
    }

    private T Read<T>(Func<T> read)
    {
        lock (gate)
        {
            return read();
        }
    }

    private void Signal()
    {
        TaskCompletionSource previous;
        lock (gate)
        {
            previous = changed;
            changed = NewSignal();
        }
        previous.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
