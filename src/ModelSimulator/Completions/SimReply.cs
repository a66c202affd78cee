namespace Agents.ModelSimulator.Completions;

/// <summary>The answer the simulator decided on, before it is written as JSON or as a stream.</summary>
internal abstract record SimReply
{
    public abstract int CompletionTokens { get; }
    public abstract string FinishReason { get; }
}

/// <summary>A text answer; each token becomes one streamed delta.</summary>
internal sealed record TextReply(IReadOnlyList<string> Tokens, bool Truncated) : SimReply
{
    public string Content => string.Concat(Tokens);
    public override int CompletionTokens => Tokens.Count;
    public override string FinishReason => Truncated ? "length" : "stop";
}

/// <summary>One or more tool calls in a single assistant turn.</summary>
internal sealed record ToolCallsReply(IReadOnlyList<PlannedToolCall> Calls) : SimReply
{
    public override int CompletionTokens => Calls.Count * Tokens.Tokenizer.CompletionTokensPerToolCall;
    public override string FinishReason => "tool_calls";
}

internal sealed record PlannedToolCall(string Id, string Name, string Arguments);
