using System.ClientModel;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using OpenAI.Chat;

namespace Agents.ModelSimulator.Tests;

public sealed class FailureDirectiveTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    [Fact]
    public async Task Error429_WithRetryAfter_ReturnsHeaderAndOpenAiErrorBody()
    {
        using var response = await sim.PostChatAsync(SimulatorFixture.UserRequest("[[sim error=429 retry_after=7]]"));

        response.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        response.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(7));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = body.RootElement.GetProperty("error");
        error.GetProperty("message").GetString().ShouldNotBeNullOrEmpty();
        error.GetProperty("type").GetString().ShouldBe("requests");
        error.GetProperty("code").GetString().ShouldBe("rate_limit_exceeded");
    }

    [Fact]
    public async Task Error429_WithTimes1_FailsOnceThenSucceedsForTheSameRequest()
    {
        var request = SimulatorFixture.UserRequest("once [[sim error=429 times=1]]");

        using var first = await sim.PostChatAsync(request);
        using var second = await sim.PostChatAsync(request);

        first.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        second.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Error429_WithTimes1_SdkRetriesAfterRetryAfterAndSucceeds()
    {
        var stopwatch = Stopwatch.StartNew();

        ChatCompletion completion = await sim.Chat(maxRetries: 2).CompleteChatAsync(
            [new UserChatMessage("sdk retry [[sim error=429 retry_after=1 times=1 tokens=3]]")]);

        stopwatch.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(900));
        completion.Usage.OutputTokenCount.ShouldBe(3);
    }

    [Theory]
    [InlineData(400, "invalid_request_error")]
    [InlineData(500, "server_error")]
    [InlineData(503, "server_error")]
    public async Task ScriptedError_ReturnsThatStatusWithOpenAiErrorShape(int status, string type)
    {
        using var response = await sim.PostChatAsync(SimulatorFixture.UserRequest($"[[sim error={status}]]"));

        ((int)response.StatusCode).ShouldBe(status);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        body.RootElement.GetProperty("error").GetProperty("type").GetString().ShouldBe(type);
    }

    [Fact]
    public async Task Error500_MakesTheSdkThrowClientResultExceptionWith500()
    {
        var error = await Should.ThrowAsync<ClientResultException>(
            () => sim.Chat().CompleteChatAsync([new UserChatMessage("[[sim error=500]]")]));

        error.Status.ShouldBe(500);
    }

    [Fact]
    public async Task Error500_WithoutTimes_FailsEveryTime()
    {
        var request = SimulatorFixture.UserRequest("always [[sim error=500]]");

        for (var i = 0; i < 3; i++)
        {
            using var response = await sim.PostChatAsync(request);
            response.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        }
    }

    [Fact]
    public async Task Error500_ForOneModel_FailsThatModel_WhileAnotherAnswersTheSameConversation()
    {
        const string text = "primary down [[sim error=500 model=sim-small]]";

        using var primary = await sim.PostChatAsync(SimulatorFixture.UserRequest(text, model: "sim-small"));
        using var fallback = await sim.PostChatAsync(SimulatorFixture.UserRequest(text, model: "sim-large"));

        primary.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        fallback.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Times_WithModel_CountsOnlyThatModelsSightings()
    {
        const string text = "primary throttled once [[sim error=429 times=1 model=sim-small]]";

        using var other = await sim.PostChatAsync(SimulatorFixture.UserRequest(text, model: "sim-large"));
        using var first = await sim.PostChatAsync(SimulatorFixture.UserRequest(text, model: "sim-small"));
        using var second = await sim.PostChatAsync(SimulatorFixture.UserRequest(text, model: "sim-small"));

        other.StatusCode.ShouldBe(HttpStatusCode.OK);
        first.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        second.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task HangAndDrop_ForOneModel_LeaveAnotherModelsStreamWhole()
    {
        ChatMessage[] messages = [new UserChatMessage("primary broken [[sim tokens=4 hang drop=1 model=sim-small]]")];

        var count = 0;
        await foreach (var update in sim.Chat(model: "sim-large").CompleteChatStreamingAsync(messages))
        {
            count += update.ContentUpdate.Count(p => p.Text.Length > 0);
        }

        count.ShouldBe(4);
        await Should.ThrowAsync<Exception>(
            () => sim.Chat(networkTimeout: TimeSpan.FromMilliseconds(500)).CompleteChatAsync(messages));
    }

    [Fact]
    public async Task Drop_MidStream_MakesTheSdkStreamThrowAfterThoseChunks()
    {
        var received = new List<string>();

        var error = await Should.ThrowAsync<Exception>(async () =>
        {
            await foreach (var update in sim.Chat().CompleteChatStreamingAsync([new UserChatMessage("[[sim tokens=10 drop=3]]")]))
            {
                received.AddRange(update.ContentUpdate.Select(p => p.Text).Where(text => text.Length > 0));
            }
        });

        error.ShouldBeAssignableTo<IOException>();
        received.Count.ShouldBe(3);
    }

    [Fact]
    public async Task Drop_WithTimes1_StreamsCompletelyTheSecondTime()
    {
        ChatMessage[] messages = [new UserChatMessage("flaky stream [[sim tokens=4 drop=2 times=1]]")];
        await Should.ThrowAsync<IOException>(async () =>
        {
            await foreach (var update in sim.Chat().CompleteChatStreamingAsync(messages))
            {
                _ = update;
            }
        });

        var count = 0;
        await foreach (var update in sim.Chat().CompleteChatStreamingAsync(messages))
        {
            count += update.ContentUpdate.Count(p => p.Text.Length > 0);
        }

        count.ShouldBe(4);
    }

    [Fact]
    public async Task Hang_IsCancelledByTheClientsTimeout()
    {
        var stopwatch = Stopwatch.StartNew();

        await Should.ThrowAsync<Exception>(
            () => sim.Chat(networkTimeout: TimeSpan.FromMilliseconds(500)).CompleteChatAsync([new UserChatMessage("[[sim hang]]")]));

        stopwatch.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(450));
        stopwatch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10));
        ChatCompletion after = await sim.Chat().CompleteChatAsync([new UserChatMessage("still alive? [[sim tokens=2]]")]);
        after.Usage.OutputTokenCount.ShouldBe(2);
    }

    [Fact]
    public async Task Hang_IsCancelledByTheCallersCancellationToken()
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Should.ThrowAsync<OperationCanceledException>(
            () => sim.Chat().CompleteChatAsync([new UserChatMessage("[[sim hang]]")], cancellationToken: cancellation.Token));
    }
}
