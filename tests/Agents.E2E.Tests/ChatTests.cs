using Agents.E2E.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Agents.E2E.Tests;

/// <summary>Runs from the chat app: streaming, a tool call that needs approval, stopping a run.</summary>
[Collection(ChatAppTests.Name)]
public sealed class ChatTests(ChatAppFixture app, ITestOutputHelper output)
{
    /// <summary>Records the streaming answer's text length every 20 ms, so growth is observed without racing the stream.</summary>
    private const string RecordAnswerLengths = """
        () => {
          const lengths = [];
          window.__answerLengths = lengths;
          setInterval(() => {
            const text = document.querySelector('article[data-role=assistant][data-streaming=true] .markdown');
            if (text) lengths.push(text.textContent.length);
          }, 20);
        }
        """;

    [Fact]
    public async Task SendMessage_InANewThread_StreamsTheAnswerPieceByPiece_AndShowsWhatWasStored()
    {
        await using var ui = await app.OpenAsync(output);
        await ui.SignInAsync("alice");
        var threadId = await ui.NewChatAsync();
        await ui.Page.EvaluateAsync(RecordAnswerLengths);

        await ui.SendAsync("Tell me a story [[sim tokens=60 tps=30]]");

        await Expect(ui.Page.Locator("article[data-role=user]")).ToContainTextAsync("Tell me a story");
        await Expect(ui.StopButton).ToBeVisibleAsync();
        var stored = await ChatAppPage.StoredMessageAsync(app.Alice, threadId, "assistant");
        var text = stored["content"]!.GetValue<string>();
        text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(60);
        // The live answer gives way to the stored message: same text, now with its id.
        await Expect(ui.StoredAssistant(stored["id"]!.GetValue<string>()).Locator(".markdown")).ToHaveTextAsync(text);
        await Expect(ui.AssistantMessages).ToHaveCountAsync(1);
        await Expect(ui.Page.GetByRole(AriaRole.Button, new() { Name = "Load older messages" })).ToHaveCountAsync(0); // nothing older in a new thread
        await Expect(ui.SendButton).ToBeVisibleAsync();

        var lengths = await ui.Page.EvaluateAsync<int[]>("() => window.__answerLengths");
        lengths.Distinct().Count().ShouldBeGreaterThanOrEqualTo(3, $"the answer should grow while it streams; seen lengths: {string.Join(",", lengths)}");
        lengths.Zip(lengths.Skip(1)).ShouldAllBe(pair => pair.Second >= pair.First);
        lengths.Min().ShouldBeLessThan(text.Length);
    }

    [Fact]
    public async Task ToolCallNeedingApproval_Approved_RunsTheToolAndShowsTheFinalAnswer()
    {
        await using var ui = await app.OpenAsync(output);
        await ui.SignInAsync("alice");
        var threadId = await ui.NewChatAsync();

        await ui.SendAsync("""Email the team [[sim steps=1 tool=send_email args='{"to":"a@b.c","subject":"s","body":"b"}' reply="sent"]]""");

        var step = ui.ToolSteps.First;
        await Expect(step).ToHaveAttributeAsync("data-status", "awaiting_approval");
        await Expect(step).ToContainTextAsync("send_email");
        await Expect(step).ToContainTextAsync("a@b.c"); // the arguments, shown before deciding
        await Expect(ui.RunStatus).ToHaveAttributeAsync("data-run-status", "requires_action");
        var approval = ui.Page.GetByTestId("approval");
        await Expect(approval).ToContainTextAsync("send_email");

        await approval.GetByRole(AriaRole.Button, new() { Name = "Approve", Exact = true }).ClickAsync();

        await Expect(approval).ToHaveCountAsync(0);
        await Expect(step).ToHaveAttributeAsync("data-status", "completed");
        await Expect(ui.AssistantMessages.Last.Locator(".markdown")).ToHaveTextAsync("sent");
        await Expect(ui.SendButton).ToBeVisibleAsync();

        // The approval reached the server: the run ran the tool and completed.
        var answer = await ChatAppPage.StoredMessageAsync(app.Alice, threadId, "assistant", m => m["content"]!.GetValue<string>() == "sent");
        var run = await app.Alice.WaitRunAsync(threadId, answer["runId"]!.GetValue<string>());
        run["status"]!.GetValue<string>().ShouldBe("completed");
        var sent = run["steps"]!.AsArray().Single(s => s!["toolName"]?.GetValue<string>() == "send_email")!;
        sent["status"]!.GetValue<string>().ShouldBe("completed");
    }

    [Fact]
    public async Task Stop_WhileTheAnswerStreams_CancelsTheRun_AndMarksThePartialAnswerIncomplete()
    {
        await using var ui = await app.OpenAsync(output);
        await ui.SignInAsync("alice");
        var threadId = await ui.NewChatAsync();

        await ui.SendAsync("Write a very long essay [[sim tokens=400 tps=10]]"); // 40 s if nobody stops it
        await Expect(ui.Page.Locator("article[data-role=assistant][data-streaming=true] .markdown")).ToBeVisibleAsync();

        await ui.StopButton.ClickAsync();

        await Expect(ui.Page.GetByTestId("incomplete")).ToBeVisibleAsync();
        await Expect(ui.Page.GetByTestId("incomplete")).ToHaveTextAsync("Stopped before the end");
        await Expect(ui.RunStatus).ToHaveAttributeAsync("data-run-status", "cancelled");
        await Expect(ui.SendButton).ToBeVisibleAsync();

        var partial = await ChatAppPage.StoredMessageAsync(app.Alice, threadId, "assistant");
        (partial["incomplete"]?.GetValue<bool>() ?? false).ShouldBeTrue("the stored partial answer is marked incomplete");
        var text = partial["content"]!.GetValue<string>();
        text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBeLessThan(400);
        var run = await app.Alice.WaitRunAsync(threadId, partial["runId"]!.GetValue<string>());
        run["status"]!.GetValue<string>().ShouldBe("cancelled");
        // What the page shows is the stored partial answer, marked incomplete.
        var shown = ui.StoredAssistant(partial["id"]!.GetValue<string>());
        await Expect(shown.Locator(".markdown")).ToHaveTextAsync(text.Trim());
        await Expect(shown.GetByTestId("incomplete")).ToBeVisibleAsync();
    }
}
