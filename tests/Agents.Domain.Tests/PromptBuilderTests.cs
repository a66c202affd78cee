using Agents.Domain.Conversations;
using Agents.Domain.Runs;
using Agents.Domain.Usage;
using static Agents.Domain.Tests.TestData;

namespace Agents.Domain.Tests;

public class PromptBuilderTests
{
    private static readonly ChatMessage UserMessage = Message("new", MessageRole.User, "And tomorrow?");

    private static ChatMessage[] Turn(int n, int answerLength = 40) =>
    [
        Message($"u{n}", MessageRole.User, $"question {n}"),
        Message($"a{n}", MessageRole.Assistant, new string('a', answerLength)),
    ];

    private static int Cost(IEnumerable<ChatMessage> messages) => messages.Sum(TokenEstimate.Message);

    private static List<string> Ids(IEnumerable<ChatMessage> prompt) => prompt.Select(m => m.Id).ToList();

    [Fact]
    public void Build_PutsInstructionsFirstAndTheUserMessageLast()
    {
        var history = Turn(1);

        var prompt = PromptBuilder.Build(Agent(), history, UserMessage);

        prompt[0].Role.ShouldBe(MessageRole.System);
        prompt[0].Content.ShouldBe("Be brief.");
        prompt[^1].ShouldBeSameAs(UserMessage);
        Ids(prompt).ShouldBe(["system", "u1", "a1", "new"]);
    }

    [Fact]
    public void Build_WithoutInstructions_HasNoSystemMessage_AndDropsStoredOnes()
    {
        var history = new[] { Message("s0", MessageRole.System, "old instructions") }.Concat(Turn(1)).ToList();

        var prompt = PromptBuilder.Build(Agent() with { Instructions = "  " }, history, UserMessage);

        Ids(prompt).ShouldBe(["u1", "a1", "new"]);
    }

    [Fact]
    public void Build_OverBudget_DropsTheOldestWholeTurnsFirst()
    {
        var history = Turn(1).Concat(Turn(2)).Concat(Turn(3)).ToList();
        var fitsTwoTurns = TokenEstimate.Message(UserMessage) + Cost(Turn(2)) + Cost(Turn(3));

        var two = PromptBuilder.Build(Agent() with { HistoryTokenBudget = fitsTwoTurns }, history, UserMessage);
        var one = PromptBuilder.Build(Agent() with { HistoryTokenBudget = fitsTwoTurns - 1 }, history, UserMessage);

        Ids(two).ShouldBe(["system", "u2", "a2", "u3", "a3", "new"]);
        Ids(one).ShouldBe(["system", "u3", "a3", "new"]);
    }

    [Fact]
    public void Build_NeverKeepsAnOlderTurnOnceANewerOneIsDropped()
    {
        var history = Turn(1).Concat(Turn(2, answerLength: 4000)).Concat(Turn(3)).ToList();
        var budget = TokenEstimate.Message(UserMessage) + Cost(Turn(1)) + Cost(Turn(3));

        var prompt = PromptBuilder.Build(Agent() with { HistoryTokenBudget = budget }, history, UserMessage);

        Ids(prompt).ShouldBe(["system", "u3", "a3", "new"]);
    }

    [Fact]
    public void Build_DropsAToolExchangeWhole_WhenOnlyItsTailWouldFit()
    {
        var toolTurn = new[]
        {
            Message("u1", MessageRole.User, "weather?"),
            Message("a1", MessageRole.Assistant, "", null, new ToolCall("call_1", "weather", new string('{', 2000))),
            Message("t1", MessageRole.Tool, "sunny", "call_1"),
            Message("a1b", MessageRole.Assistant, "It is sunny."),
        };
        var history = toolTurn.Concat(Turn(2)).ToList();
        var tailFits = TokenEstimate.Message(UserMessage) + Cost(toolTurn[2..]) + Cost(Turn(2));

        var prompt = PromptBuilder.Build(Agent() with { HistoryTokenBudget = tailFits }, history, UserMessage);

        Ids(prompt).ShouldBe(["system", "u2", "a2", "new"]);
    }

    [Fact]
    public void Build_HistoryStartingMidTurn_DoesNotSendAToolResultWithoutItsRequest()
    {
        // A history read from the newest end can begin inside a turn, after the assistant message that asked for the tool.
        var history = new[]
        {
            Message("t0", MessageRole.Tool, "sunny", "call_0"),
            Message("a0", MessageRole.Assistant, "It is sunny."),
        }.Concat(Turn(1)).ToList();

        var prompt = PromptBuilder.Build(Agent(), history, UserMessage);

        Ids(prompt).ShouldBe(["system", "a0", "u1", "a1", "new"]);
        ShouldHaveWholeToolExchanges(prompt);
    }

    [Fact]
    public void Build_KeepsAnsweredToolExchanges_AndDropsUnansweredToolCalls()
    {
        // The assistant message of a run cancelled while a tool call waited for approval has no tool result.
        var history = new[]
        {
            Message("u0", MessageRole.User, "pay the bill"),
            Message("a0", MessageRole.Assistant, "", null, new ToolCall("call_0", "pay", "{}")),
            Message("u1", MessageRole.User, "weather?"),
            Message("a1", MessageRole.Assistant, "Let me look.", null, new ToolCall("call_1", "weather", "{}"), new ToolCall("call_2", "pay", "{}")),
            Message("t1", MessageRole.Tool, "sunny", "call_1"),
            Message("a1b", MessageRole.Assistant, "It is sunny."),
        };

        var prompt = PromptBuilder.Build(Agent(), history, UserMessage);

        Ids(prompt).ShouldBe(["system", "u0", "u1", "a1", "t1", "a1b", "new"]);
        prompt.Single(m => m.Id == "a1").ToolCalls.ShouldNotBeNull().Select(c => c.Id).ShouldBe(["call_1"]);
        ShouldHaveWholeToolExchanges(prompt);
    }

    /// <summary>What the chat completions API insists on: tool results follow the assistant message that asked, and answer all of it.</summary>
    internal static void ShouldHaveWholeToolExchanges(IReadOnlyList<ChatMessage> prompt)
    {
        for (var i = 0; i < prompt.Count; i++)
        {
            if (prompt[i].ToolCalls is { Count: > 0 } calls)
            {
                var answers = prompt.Skip(i + 1).TakeWhile(m => m.Role == MessageRole.Tool).Select(m => m.ToolCallId);
                answers.ShouldBe(calls.Select(c => c.Id), ignoreOrder: true, $"the tool calls of message {prompt[i].Id} are not all answered");
            }
            if (prompt[i].Role == MessageRole.Tool)
            {
                var request = prompt.Take(i).Reverse().SkipWhile(m => m.Role == MessageRole.Tool).FirstOrDefault();
                (request?.ToolCalls ?? []).ShouldContain(c => c.Id == prompt[i].ToolCallId, $"tool message {prompt[i].Id} has no request");
            }
        }
    }
}
