using Agents.Domain.Agents;
using Agents.Domain.Conversations;
using Agents.Domain.Usage;

namespace Agents.Domain.Runs;

/// <summary>
/// Builds the prompt: the agent's instructions, then as much recent history as the token budget allows, then the new
/// user message. History is dropped a whole turn at a time (a user message and what followed it), oldest first, so a
/// tool result never loses the assistant message that asked for it.
/// </summary>
public static class PromptBuilder
{
    public static List<ChatMessage> Build(AgentDefinition agent, IReadOnlyList<ChatMessage> history, ChatMessage userMessage)
    {
        var turns = SplitIntoTurns(history);
        var budget = agent.HistoryTokenBudget - TokenEstimate.Message(userMessage);
        var kept = new List<List<ChatMessage>>();
        for (var i = turns.Count - 1; i >= 0; i--)
        {
            var cost = turns[i].Sum(TokenEstimate.Message);
            if (cost > budget)
            {
                break;
            }
            budget -= cost;
            kept.Insert(0, turns[i]);
        }

        var prompt = new List<ChatMessage>(kept.Sum(t => t.Count) + 2);
        if (!string.IsNullOrWhiteSpace(agent.Instructions))
        {
            prompt.Add(new ChatMessage { Id = "system", ThreadId = userMessage.ThreadId, Role = MessageRole.System, Content = agent.Instructions });
        }
        prompt.AddRange(WholeToolExchanges(kept.SelectMany(t => t).ToList()));
        prompt.Add(userMessage);
        return prompt;
    }

    /// <summary>
    /// Drops what the model API rejects: a tool result not directly after the assistant message that asked for it (a
    /// history that starts mid-turn) and a tool call with no result (a run cancelled while the call waited for approval,
    /// or while the model streamed it).
    /// </summary>
    private static IEnumerable<ChatMessage> WholeToolExchanges(List<ChatMessage> messages)
    {
        var open = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            if (message.Role == MessageRole.Tool)
            {
                if (message.ToolCallId is not null && open.Remove(message.ToolCallId))
                {
                    yield return message;
                }
                continue;
            }
            open.Clear();
            if (message.ToolCalls is not { Count: > 0 } calls)
            {
                yield return message;
                continue;
            }
            var results = messages.Skip(i + 1).TakeWhile(m => m.Role == MessageRole.Tool).Select(m => m.ToolCallId).ToHashSet(StringComparer.Ordinal);
            var answered = calls.Where(c => results.Contains(c.Id)).ToList();
            open.UnionWith(answered.Select(c => c.Id));
            if (answered.Count == calls.Count)
            {
                yield return message;
            }
            else if (answered.Count > 0 || message.Content.Length > 0)
            {
                yield return message with { ToolCalls = answered.Count > 0 ? answered : null };
            }
        }
    }

    private static List<List<ChatMessage>> SplitIntoTurns(IReadOnlyList<ChatMessage> history)
    {
        var turns = new List<List<ChatMessage>>();
        foreach (var message in history.Where(m => m.Role != MessageRole.System))
        {
            if (message.Role == MessageRole.User || turns.Count == 0)
            {
                turns.Add([]);
            }
            turns[^1].Add(message);
        }
        return turns;
    }
}
