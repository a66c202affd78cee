using System.Text.Json;
using Agents.Application.Storage.Cosmos;
using Agents.Domain.Runs;

namespace Agents.Application.Runs.Local;

/// <summary>
/// The local engine's run context: every call gets the next position; a position already in the journal returns its
/// recorded result (replay), a new one executes and is recorded. After a crash the loop runs again from the start and
/// replays up to where it stopped, which is how Durable Functions resumes an orchestration too.
/// </summary>
internal sealed class JournalRunContext(
    RunRef run, RunActivities activities, RunStore runs, IReadOnlyList<JournalEntry> journal,
    Func<CancellationToken, Task> ensureLease, TimeProvider clock, CancellationToken ct) : IAgentRunContext
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, JournalEntry> recorded = new(journal.Select(e => KeyValuePair.Create(e.Seq, e)));
    private int next;
    private RunInput? input;
    private DateTimeOffset now = journal.Count > 0 ? journal[0].At : clock.GetUtcNow();

    public DateTimeOffset UtcNow => now;

    /// <summary>True while positions are being replayed from the journal.</summary>
    public bool IsReplaying => recorded.ContainsKey(next);

    public async Task<RunInput> LoadInputAsync() =>
        input = await StepAsync(next++, "load", _ => activities.LoadInputAsync(run, ct)).ConfigureAwait(false);

    public Task<ModelTurn> CallModelAsync(ModelCall modelCall) =>
        StepAsync(next++, "model", position => activities.CallModelAsync(run, input!, modelCall, position, ct));

    public Task<ToolReview> ReviewToolCallAsync(ToolInvocation invocation) =>
        StepAsync(next++, "review", _ => activities.ReviewToolCallAsync(run, input!, invocation, ct));

    public Task<ToolResult> CallToolAsync(ToolInvocation invocation) =>
        StepAsync(next++, "tool", _ => activities.CallToolAsync(run, invocation, ct));

    public Task SaveAsync(RunUpdate update) =>
        StepAsync(next++, "save", async position =>
        {
            await activities.SaveAsync(run, update, position, ct).ConfigureAwait(false);
            return update.Version;
        });

    /// <summary>
    /// A durable wait: the deadline is recorded once; the decision is recorded when it exists. Until then the run is
    /// suspended (<see cref="RunSuspendedException"/>) and woken by the approval, a cancel, or the deadline.
    /// </summary>
    public async Task<ApprovalDecision> WaitForApprovalAsync(ToolInvocation invocation, TimeSpan timeout)
    {
        var deadlinePosition = next++;
        var decisionPosition = next++;
        var deadline = await StepAsync(deadlinePosition, "timer", _ => Task.FromResult(now + timeout)).ConfigureAwait(false);
        if (recorded.ContainsKey(decisionPosition))
        {
            return await StepAsync<ApprovalDecision>(decisionPosition, "approval", _ => throw new InvalidOperationException("unreachable")).ConfigureAwait(false);
        }
        var decision = await activities.GetApprovalAsync(run, invocation.ToolCallId, ct).ConfigureAwait(false);
        if (decision is null && await activities.IsCancelRequestedAsync(run, ct).ConfigureAwait(false))
        {
            decision = new ApprovalDecision(ApprovalOutcome.Cancelled, "The run was cancelled.");
        }
        if (decision is null && clock.GetUtcNow() >= deadline)
        {
            decision = new ApprovalDecision(ApprovalOutcome.TimedOut, "No decision before the deadline.");
        }
        if (decision is null)
        {
            throw new RunSuspendedException(deadline);
        }
        return await StepAsync(decisionPosition, "approval", _ => Task.FromResult(decision)).ConfigureAwait(false);
    }

    private async Task<T> StepAsync<T>(int position, string kind, Func<int, Task<T>> execute)
    {
        if (recorded.TryGetValue(position, out var entry))
        {
            if (entry.Kind != kind)
            {
                throw new InvalidOperationException($"Run {run.RunId} is not deterministic: position {position} was '{entry.Kind}' and is now '{kind}'.");
            }
            now = entry.At > now ? entry.At : now;
            return entry.Result.Deserialize<T>(CosmosDatabase.Json)!;
        }

        await ensureLease(ct).ConfigureAwait(false);
        var result = await execute(position).ConfigureAwait(false);
        var at = clock.GetUtcNow();
        var written = await runs.RecordAsync(run.UserId, run.ThreadId,
            new JournalEntry(JournalEntry.IdFor(run.RunId, position), run.RunId, position, kind, at, JsonSerializer.SerializeToElement(result, CosmosDatabase.Json)), ct).ConfigureAwait(false);
        recorded[position] = written;
        now = at > now ? at : now;
        return written.Result.Deserialize<T>(CosmosDatabase.Json)!;
    }
}

/// <summary>The run waits for something outside it (an approval); the engine wakes it at <see cref="WakeAt"/> at the latest.</summary>
public sealed class RunSuspendedException(DateTimeOffset wakeAt) : Exception($"The run is suspended until {wakeAt:O}.")
{
    public DateTimeOffset WakeAt { get; } = wakeAt;
}
