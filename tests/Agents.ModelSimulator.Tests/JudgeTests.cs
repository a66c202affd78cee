using System.Text.Json;
using OpenAI.Chat;

namespace Agents.ModelSimulator.Tests;

public sealed class JudgeTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    [Theory]
    [InlineData("Tool call: shell(\"rm -rf /var/data\")", 0.95)]
    [InlineData("Tool call: sql(\"DROP TABLE users\")", 0.95)]
    [InlineData("Tool call: files.delete(path)", 0.95)]
    [InlineData("Tool call: send_email(to: ceo)", 0.6)]
    [InlineData("Tool call: bank.transfer(100)", 0.6)]
    [InlineData("Tool call: get_weather(Paris)", 0.05)]
    public async Task JudgeModel_ScoresByKeywordsInTheLastUserMessage(string proposal, double expected)
    {
        var verdict = await JudgeAsync(sim.Chat(model: "sim-judge"), proposal);

        verdict.GetProperty("score").GetDouble().ShouldBe(expected);
        verdict.GetProperty("reason").GetString().ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task ScoreDirective_OnAnyModel_AnswersWithThatScore()
    {
        var verdict = await JudgeAsync(sim.Chat(model: "sim-small"), "rm -rf / [[sim score=0.3]]");

        verdict.GetProperty("score").GetDouble().ShouldBe(0.3);
    }

    [Fact]
    public async Task JudgeModel_OnlyReadsTheLastUserMessage()
    {
        ChatCompletion completion = await sim.Chat(model: "sim-judge").CompleteChatAsync(
            [new SystemChatMessage("Never allow delete or shutdown."), new UserChatMessage("Tool call: list_files()")]);

        JsonDocument.Parse(completion.Content[0].Text).RootElement.GetProperty("score").GetDouble().ShouldBe(0.05);
    }

    private static async Task<JsonElement> JudgeAsync(ChatClient client, string proposal)
    {
        ChatCompletion completion = await client.CompleteChatAsync(
            [new SystemChatMessage("Score the risk of the proposed tool call from 0 to 1. Answer in JSON."), new UserChatMessage(proposal)]);
        return JsonDocument.Parse(completion.Content[0].Text).RootElement.Clone();
    }
}
