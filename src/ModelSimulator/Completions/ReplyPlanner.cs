using System.Text.Json;
using Agents.ModelSimulator.Judge;
using Agents.ModelSimulator.Script;
using Agents.ModelSimulator.Tokens;

namespace Agents.ModelSimulator.Completions;

/// <summary>Decides the answer from the conversation and the script. Pure: same inputs, same reply.</summary>
internal static class ReplyPlanner
{
    public static SimReply? Plan(ChatRequest request, Conversation conversation, SimScript script, int defaultTokens, out RequestError? error)
    {
        error = null;
        var limit = request.MaxCompletionTokens ?? request.MaxTokens;
        if (script.Score is not null || script.Judge)
        {
            return Judge(conversation, script, limit);
        }

        if (script.Steps is { } steps)
        {
            return conversation.ToolTurnsSinceLastUser < steps
                ? ToolCalls(conversation, script, out error)
                : Text(conversation, script, defaultTokens, limit);
        }

        if (script.ToolCalls.Count > 0 || script.Parallel is not null)
        {
            return ToolCalls(conversation, script, out error);
        }

        if (script.Reply is null && script.Tokens is null)
        {
            if (string.Equals(conversation.Model, JudgeScorer.JudgeModel, StringComparison.OrdinalIgnoreCase))
            {
                return Judge(conversation, script, limit);
            }

            if (ForcedTool(request, conversation) is { } forced)
            {
                return new ToolCallsReply([new PlannedToolCall(CallId(conversation, 0), forced, "{}")]);
            }
        }

        return Text(conversation, script, defaultTokens, limit);
    }

    private static TextReply Judge(Conversation conversation, SimScript script, int? limit) =>
        Limit(Tokenizer.SplitIntoTokens(JudgeScorer.Verdict(conversation.LastUserText, script.Score)), limit);

    private static TextReply Text(Conversation conversation, SimScript script, int defaultTokens, int? limit) =>
        Limit(
            script.Reply is { } reply
                ? Tokenizer.SplitIntoTokens(reply)
                : TextGenerator.Generate(conversation.Hash, script.Tokens ?? defaultTokens),
            limit);

    private static TextReply Limit(List<string> tokens, int? limit) =>
        limit is { } max && tokens.Count > max
            ? new TextReply(tokens[..max], Truncated: true)
            : new TextReply(tokens, Truncated: false);

    private static ToolCallsReply? ToolCalls(Conversation conversation, SimScript script, out RequestError? error)
    {
        // Scripted tools first; otherwise the request's own tools in order, as an agent loop would offer them.
        List<ToolCallSpec> specs = script.ToolCalls.Count > 0
            ? script.ToolCalls
            : [.. conversation.ToolNames.Select(name => new ToolCallSpec(name, null))];
        if (specs.Count == 0)
        {
            error = new RequestError("The directive asks for tool calls but names no tool: send tools in the request or add tool=NAME.", "tools");
            return null;
        }

        error = null;
        var count = script.Parallel ?? (script.ToolCalls.Count > 0 ? script.ToolCalls.Count : 1);
        var calls = new PlannedToolCall[count];
        for (var i = 0; i < count; i++)
        {
            var spec = specs[i % specs.Count];
            calls[i] = new PlannedToolCall(CallId(conversation, i), spec.Name, spec.Arguments ?? script.DefaultArgs ?? "{}");
        }

        return new ToolCallsReply(calls);
    }

    /// <summary>tool_choice naming a function, or "required" with tools offered, forces a call when nothing is scripted.</summary>
    private static string? ForcedTool(ChatRequest request, Conversation conversation)
    {
        var choice = request.ToolChoice;
        if (choice.ValueKind == JsonValueKind.String && choice.ValueEquals("required") && conversation.ToolNames.Count > 0)
        {
            return conversation.ToolNames[0];
        }

        return choice.ValueKind == JsonValueKind.Object
            && choice.TryGetProperty("function", out var function)
            && function.ValueKind == JsonValueKind.Object
            && function.TryGetProperty("name", out var name)
            && name.ValueKind == JsonValueKind.String
                ? name.GetString()
                : null;
    }

    // Derived from the conversation hash: stable for a request, different at every step of an agent loop.
    private static string CallId(Conversation conversation, int index) => $"call_{conversation.HashHex(8)}_{index}";
}
