using System.ClientModel;
using System.Text;
using OpenAI.Chat;

namespace Agents.ModelSimulator.Tests;

public sealed class ToolCallTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    private static readonly ChatTool Weather = ChatTool.CreateFunctionTool("get_weather", "Weather for a city");
    private static readonly ChatTool Search = ChatTool.CreateFunctionTool("search", "Web search");
    private static readonly ChatTool Email = ChatTool.CreateFunctionTool("send_email", "Sends an email");

    [Fact]
    public async Task ParallelTools_NonStreaming_ReturnsEveryCallWithItsArguments()
    {
        const string prompt = """Plan a trip [[sim tool=get_weather args='{"city":"Paris"}' tool=search args={"q":"louvre%20hours"}]]""";

        ChatCompletion completion = await sim.Chat().CompleteChatAsync([new UserChatMessage(prompt)], WithTools(Weather, Search));

        completion.FinishReason.ShouldBe(ChatFinishReason.ToolCalls);
        completion.ToolCalls.Count.ShouldBe(2);
        completion.ToolCalls[0].FunctionName.ShouldBe("get_weather");
        completion.ToolCalls[0].FunctionArguments.ToString().ShouldBe("""{"city":"Paris"}""");
        completion.ToolCalls[1].FunctionName.ShouldBe("search");
        completion.ToolCalls[1].FunctionArguments.ToString().ShouldBe("""{"q":"louvre hours"}""");
        completion.ToolCalls.Select(c => c.Id).ShouldBeUnique();
        completion.ToolCalls.ShouldAllBe(c => c.Id.StartsWith("call_"));
        completion.Usage.OutputTokenCount.ShouldBe(20);
    }

    [Fact]
    public async Task ParallelTools_Streaming_ArgumentsReassembleFromUpdates()
    {
        const string prompt = """Plan [[sim tool=get_weather args='{"city":"São Paulo","unit":"celsius"}' tool=search args='{"q":"museums open late"}']]""";
        var ids = new Dictionary<int, string>();
        var names = new Dictionary<int, string>();
        var arguments = new Dictionary<int, StringBuilder>();
        ChatFinishReason? finish = null;

        await foreach (var update in sim.Chat().CompleteChatStreamingAsync([new UserChatMessage(prompt)], WithTools(Weather, Search)))
        {
            foreach (var toolUpdate in update.ToolCallUpdates)
            {
                if (toolUpdate.ToolCallId is not null)
                {
                    ids[toolUpdate.Index] = toolUpdate.ToolCallId;
                }

                if (toolUpdate.FunctionName is not null)
                {
                    names[toolUpdate.Index] = toolUpdate.FunctionName;
                }

                var builder = arguments.TryGetValue(toolUpdate.Index, out var existing) ? existing : arguments[toolUpdate.Index] = new StringBuilder();
                builder.Append(toolUpdate.FunctionArgumentsUpdate?.ToString());
            }

            finish ??= update.FinishReason;
        }

        finish.ShouldBe(ChatFinishReason.ToolCalls);
        names.ShouldBe(new Dictionary<int, string> { [0] = "get_weather", [1] = "search" });
        ids.Values.ShouldBeUnique();
        arguments[0].ToString().ShouldBe("""{"city":"São Paulo","unit":"celsius"}""");
        arguments[1].ToString().ShouldBe("""{"q":"museums open late"}""");
    }

    [Fact]
    public async Task Steps_WithThreeSteps_CallsToolThreeTimesThenAnswers()
    {
        var client = sim.Chat();
        var options = WithTools(Weather, Search);
        List<ChatMessage> conversation = [new SystemChatMessage("You are an agent."), new UserChatMessage("Research this. [[sim steps=3 tokens=5]]")];
        var toolCallIds = new List<string>();

        for (var step = 0; step < 3; step++)
        {
            ChatCompletion turn = await client.CompleteChatAsync(conversation, options);

            turn.FinishReason.ShouldBe(ChatFinishReason.ToolCalls);
            var call = turn.ToolCalls.ShouldHaveSingleItem();
            call.FunctionName.ShouldBe("get_weather");
            call.FunctionArguments.ToString().ShouldBe("{}");
            toolCallIds.Add(call.Id);
            conversation.Add(new AssistantChatMessage(turn));
            conversation.Add(new ToolChatMessage(call.Id, $"result {step}"));
        }

        ChatCompletion final = await client.CompleteChatAsync(conversation, options);

        final.FinishReason.ShouldBe(ChatFinishReason.Stop);
        final.ToolCalls.ShouldBeEmpty();
        final.Usage.OutputTokenCount.ShouldBe(5);
        toolCallIds.ShouldBeUnique();
    }

    [Fact]
    public async Task Steps_WithParallel_CallsTheFirstKToolsAtEachStep()
    {
        var client = sim.Chat();
        var options = WithTools(Weather, Search, Email);
        List<ChatMessage> conversation = [new UserChatMessage("Go [[sim steps=2 parallel=2 args={\"x\":1}]]")];

        for (var step = 0; step < 2; step++)
        {
            ChatCompletion turn = await client.CompleteChatAsync(conversation, options);

            turn.ToolCalls.Select(c => c.FunctionName).ShouldBe(["get_weather", "search"]);
            turn.ToolCalls.ShouldAllBe(c => c.FunctionArguments.ToString() == """{"x":1}""");
            conversation.Add(new AssistantChatMessage(turn));
            conversation.AddRange(turn.ToolCalls.Select(c => new ToolChatMessage(c.Id, "ok")));
        }

        ChatCompletion final = await client.CompleteChatAsync(conversation, options);
        final.FinishReason.ShouldBe(ChatFinishReason.Stop);
    }

    [Fact]
    public async Task Steps_AfterANewUserMessage_StartCountingAgain()
    {
        var client = sim.Chat();
        var options = WithTools(Search);
        List<ChatMessage> conversation = [new UserChatMessage("First [[sim steps=1]]")];
        ChatCompletion call = await client.CompleteChatAsync(conversation, options);
        conversation.Add(new AssistantChatMessage(call));
        conversation.Add(new ToolChatMessage(call.ToolCalls[0].Id, "done"));
        ChatCompletion answer = await client.CompleteChatAsync(conversation, options);
        conversation.Add(new AssistantChatMessage(answer));
        conversation.Add(new UserChatMessage("Again [[sim steps=1]]"));

        ChatCompletion next = await client.CompleteChatAsync(conversation, options);

        answer.FinishReason.ShouldBe(ChatFinishReason.Stop);
        next.FinishReason.ShouldBe(ChatFinishReason.ToolCalls);
    }

    [Fact]
    public async Task Steps_WithoutAnyTool_IsRejectedWith400()
    {
        var error = await Should.ThrowAsync<ClientResultException>(
            () => sim.Chat().CompleteChatAsync([new UserChatMessage("[[sim steps=2]]")]));

        error.Status.ShouldBe(400);
    }

    [Fact]
    public async Task ToolChoice_NamingAFunction_ForcesThatCallWithoutDirective()
    {
        var options = WithTools(Weather, Search);
        options.ToolChoice = ChatToolChoice.CreateFunctionChoice("search");

        ChatCompletion completion = await sim.Chat().CompleteChatAsync([new UserChatMessage("Find it")], options);

        completion.ToolCalls.ShouldHaveSingleItem().FunctionName.ShouldBe("search");
    }

    [Fact]
    public async Task ToolsList_WithoutArgs_CallsEachNamedToolWithEmptyArguments()
    {
        ChatCompletion completion = await sim.Chat().CompleteChatAsync([new UserChatMessage("[[sim tools=a,b,c]]")]);

        completion.ToolCalls.Select(c => c.FunctionName).ShouldBe(["a", "b", "c"]);
        completion.ToolCalls.ShouldAllBe(c => c.FunctionArguments.ToString() == "{}");
        completion.ToolCalls.Select(c => c.Id).ShouldBe(completion.ToolCalls.Select((c, i) => c.Id[..^1] + i));
    }

    private static ChatCompletionOptions WithTools(params ChatTool[] tools)
    {
        var options = new ChatCompletionOptions();
        foreach (var tool in tools)
        {
            options.Tools.Add(tool);
        }

        return options;
    }
}
