using OpenAI.Chat;

namespace Agents.ModelSimulator.Tests;

public sealed class DeterminismTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    [Fact]
    public async Task SameRequest_Twice_ReturnsTheSameAnswer()
    {
        ChatMessage[] messages = [new SystemChatMessage("sys"), new UserChatMessage("Same question")];

        ChatCompletion first = await sim.Chat().CompleteChatAsync(messages);
        ChatCompletion second = await sim.Chat().CompleteChatAsync(messages);

        second.Content[0].Text.ShouldBe(first.Content[0].Text);
        second.Id.ShouldBe(first.Id);
    }

    [Fact]
    public async Task SameToolRequest_Twice_ReturnsTheSameToolCallIds()
    {
        ChatMessage[] messages = [new UserChatMessage("[[sim tools=a,b]]")];

        ChatCompletion first = await sim.Chat().CompleteChatAsync(messages);
        ChatCompletion second = await sim.Chat().CompleteChatAsync(messages);

        second.ToolCalls.Select(c => c.Id).ShouldBe(first.ToolCalls.Select(c => c.Id));
    }

    [Fact]
    public async Task DifferentConversations_ReturnDifferentAnswers()
    {
        var answers = new HashSet<string>();

        foreach (var question in new[] { "one", "two", "three", "four" })
        {
            ChatCompletion completion = await sim.Chat().CompleteChatAsync([new UserChatMessage(question)]);
            answers.Add(completion.Content[0].Text);
        }

        answers.Count.ShouldBe(4);
    }

    [Fact]
    public async Task KnownRequest_GivesThePinnedAnswer_OnEveryMachineAndRun()
    {
        // Pinned on purpose: a change here means every recorded expectation built on the simulator changes too.
        ChatCompletion completion = await sim.Chat().CompleteChatAsync([new UserChatMessage("hi")]);

        completion.Content[0].Text.ShouldBe(PinnedAnswer);
    }

    private const string PinnedAnswer = "foxtrot fjord token cloud model november hotel yield worker golf fabric yankee.";
}
