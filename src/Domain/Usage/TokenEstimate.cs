using Agents.Domain.Conversations;
using Agents.Domain.Runs;

namespace Agents.Domain.Usage;

/// <summary>
/// The one token estimate, for every count made without the model's own: a run's history budget, what a model call
/// reserves from a token budget (runs and the gateway), and the usage recorded for a call that ended without the
/// provider's count (cancelled, or its stream broke off). About four characters a token, which errs high for
/// English text and code; each message costs 4 more and each tool 8 more, on top of its name, description and schema.
/// </summary>
public static class TokenEstimate
{
    public const int PerMessage = 4;
    public const int PerTool = 8;

    public static long Text(long chars) => (chars + 3) / 4;

    /// <summary>A prompt of <paramref name="messages"/> messages holding <paramref name="textChars"/> characters, and tools whose definitions hold <paramref name="toolChars"/>.</summary>
    public static long Prompt(int messages, long textChars, int tools, long toolChars) =>
        (PerMessage * (long)messages) + Text(textChars) + (PerTool * (long)tools) + Text(toolChars);

    public static long Prompt(IReadOnlyCollection<ChatMessage> messages, IReadOnlyCollection<ToolSpec> tools) =>
        Prompt(messages.Count, messages.Sum(CharsOf), tools.Count, tools.Sum(t => (long)t.Name.Length + t.Description.Length + t.Parameters.GetRawText().Length));

    public static int Message(ChatMessage message) => (int)Prompt(1, CharsOf(message), 0, 0);

    /// <summary>A message's text: its content and its tool calls' names and arguments.</summary>
    private static long CharsOf(ChatMessage message) =>
        message.Content.Length + (message.ToolCalls?.Sum(c => (long)c.Name.Length + c.Arguments.Length) ?? 0);
}
