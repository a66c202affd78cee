using System.Text.Json;
using OpenAI.Chat;

namespace Agents.ModelSimulator.Tests;

public sealed class ChatCompletionTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    [Fact]
    public async Task NonStreaming_WithTokensDirective_ReturnsExactTokenCountAndUsage()
    {
        const string prompt = "Summarise the quarter. [[sim tokens=7]]";

        ChatCompletion completion = await sim.Chat().CompleteChatAsync([new UserChatMessage(prompt)]);

        var text = completion.Content.ShouldHaveSingleItem().Text;
        text.Split(' ').Length.ShouldBe(7);
        text.ShouldEndWith(".");
        completion.FinishReason.ShouldBe(ChatFinishReason.Stop);
        completion.Usage.OutputTokenCount.ShouldBe(7);
        completion.Usage.InputTokenCount.ShouldBe(SimulatorFixture.PromptTokensForOneUserMessage(prompt));
        completion.Usage.TotalTokenCount.ShouldBe(completion.Usage.InputTokenCount + 7);
        completion.Usage.InputTokenDetails.CachedTokenCount.ShouldBe(0);
    }

    [Fact]
    public async Task NonStreaming_WithoutDirective_AnswersTwelveTokens()
    {
        ChatCompletion completion = await sim.Chat().CompleteChatAsync([new UserChatMessage("What is an agent?")]);

        completion.Content[0].Text.Split(' ').Length.ShouldBe(12);
        completion.Usage.OutputTokenCount.ShouldBe(12);
    }

    [Fact]
    public async Task Usage_WithSystemMessageAndTools_FollowsDocumentedPromptRule()
    {
        const string system = "You are terse.";
        const string user = "Weather in Paris?";
        var tool = ChatTool.CreateFunctionTool("get_weather", "Current weather for a city");

        ChatCompletion completion = await sim.Chat().CompleteChatAsync(
            [new SystemChatMessage(system), new UserChatMessage(user)],
            new ChatCompletionOptions { Tools = { tool } });

        // Per message 4 + ceil(chars/4); per tool 8 + ceil((name + description)/4).
        var expected = (4 + 4) + (4 + 5) + (8 + 10);
        completion.Usage.InputTokenCount.ShouldBe(expected);
    }

    [Fact]
    public async Task Usage_WithCachedDirective_ReportsCachedPromptTokens()
    {
        ChatCompletion completion = await sim.Chat().CompleteChatAsync([new UserChatMessage("A long shared prefix. [[sim cached=5]]")]);

        completion.Usage.InputTokenDetails.CachedTokenCount.ShouldBe(5);
    }

    [Fact]
    public async Task Reply_WithQuotedText_AnswersExactlyThatTextOneTokenPerWord()
    {
        ChatCompletion completion = await sim.Chat().CompleteChatAsync(
            [new UserChatMessage("""Say hi. [[sim reply="Hello there, \"friend\"!  Bye."]]""")]);

        completion.Content[0].Text.ShouldBe("Hello there, \"friend\"!  Bye.");
        completion.Usage.OutputTokenCount.ShouldBe(4);
    }

    [Fact]
    public async Task Reply_UrlEncoded_IsDecoded()
    {
        ChatCompletion completion = await sim.Chat().CompleteChatAsync([new UserChatMessage("[[sim reply=50%25+done%21]]")]);

        completion.Content[0].Text.ShouldBe("50% done!");
    }

    [Fact]
    public async Task Stream_ConcatenatedDeltas_EqualNonStreamingContent()
    {
        ChatMessage[] messages = [new SystemChatMessage("Be brief."), new UserChatMessage("Tell me a story. [[sim tokens=9]]")];
        var client = sim.Chat();
        ChatCompletion plain = await client.CompleteChatAsync(messages);

        var streamed = new System.Text.StringBuilder();
        var contentUpdates = 0;
        ChatTokenUsage? usage = null;
        await foreach (var update in client.CompleteChatStreamingAsync(messages))
        {
            foreach (var part in update.ContentUpdate)
            {
                streamed.Append(part.Text);
                contentUpdates += part.Text.Length > 0 ? 1 : 0; // the role chunk carries "" as OpenAI's does
            }

            usage ??= update.Usage;
        }

        streamed.ToString().ShouldBe(plain.Content[0].Text);
        contentUpdates.ShouldBe(9);
        usage.ShouldNotBeNull().OutputTokenCount.ShouldBe(9);
        usage.InputTokenCount.ShouldBe(plain.Usage.InputTokenCount);
    }

    [Fact]
    public async Task MaxOutputTokens_BelowAnswerLength_TruncatesWithFinishReasonLength()
    {
        ChatCompletion completion = await sim.Chat().CompleteChatAsync(
            [new UserChatMessage("[[sim tokens=20]]")],
            new ChatCompletionOptions { MaxOutputTokenCount = 5 });

        completion.FinishReason.ShouldBe(ChatFinishReason.Length);
        completion.Usage.OutputTokenCount.ShouldBe(5);
        completion.Content[0].Text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(5);
    }

    [Fact]
    public async Task HeaderDirective_WinsOverMessageDirective()
    {
        using var response = await sim.PostChatAsync(SimulatorFixture.UserRequest("[[sim tokens=3]]"), simHeader: "reply=from+header");

        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        body.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString().ShouldBe("from header");
    }

    [Fact]
    public async Task NonStreaming_WireShape_IsAChatCompletionObject()
    {
        using var response = await sim.PostChatAsync(SimulatorFixture.UserRequest("[[sim tokens=2]]"));

        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = body.RootElement;
        root.GetProperty("object").GetString().ShouldBe("chat.completion");
        root.GetProperty("id").GetString().ShouldStartWith("chatcmpl-");
        root.GetProperty("model").GetString().ShouldBe("sim-small");
        var choice = root.GetProperty("choices").EnumerateArray().ShouldHaveSingleItem();
        choice.GetProperty("message").GetProperty("role").GetString().ShouldBe("assistant");
        choice.GetProperty("finish_reason").GetString().ShouldBe("stop");
        root.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32().ShouldBe(0);
    }
}
