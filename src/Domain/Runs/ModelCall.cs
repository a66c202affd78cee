using System.Text.Json;
using Agents.Domain.Agents;
using Agents.Domain.Conversations;
using Agents.Domain.Usage;

namespace Agents.Domain.Runs;

/// <summary>A tool as the model sees it: a name, a description and a JSON schema for its arguments.</summary>
public sealed record ToolSpec(string Name, string Description, JsonElement Parameters);

/// <summary>One model call of a run. <see cref="Position"/> identifies it within the run (usage ids derive from it).</summary>
public sealed record ModelCall(
    int Position,
    string Model,
    IReadOnlyList<ChatMessage> Messages,
    IReadOnlyList<ToolSpec> Tools,
    ModelParameters Parameters,
    int TimeoutSeconds);

/// <summary>How a model call ended.</summary>
public enum ModelFinish
{
    Stop,
    ToolCalls,
    Length,
    ContentFilter,
    /// <summary>The run was cancelled while the model streamed; <see cref="ModelTurn.Content"/> holds what arrived.</summary>
    Cancelled,

    /// <summary>
    /// The stream broke off (or timed out) after text had reached the client, so it is not tried again;
    /// <see cref="ModelTurn.Content"/> holds what arrived and <see cref="ModelTurn.Problem"/> says what happened.
    /// </summary>
    Interrupted,
}

/// <summary>
/// The outcome of a model call: text and/or tool calls, and its usage. <see cref="UsageRecordId"/> names the ledger
/// entry the call wrote (null when nothing was spent, e.g. cancelled before it started). <see cref="Problem"/> is set
/// when the call was <see cref="ModelFinish.Interrupted"/>: the run ends failed with it.
/// </summary>
public sealed record ModelTurn(
    string Content,
    IReadOnlyList<ToolCall> ToolCalls,
    TokenUsage Usage,
    ModelFinish Finish,
    string Model,
    string? UsageRecordId = null,
    Errors.ApiProblem? Problem = null);
