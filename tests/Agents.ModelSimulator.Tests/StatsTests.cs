using System.Net;
using System.Text.Json;
using OpenAI.Chat;

namespace Agents.ModelSimulator.Tests;

/// <summary>GET /stats: a simulator of its own (the class fixture), so other tests' requests do not count.</summary>
public sealed class StatsTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    [Fact]
    public async Task Stats_CountEachModelsRequestsByHowTheyEnded()
    {
        using (await sim.PostChatAsync(SimulatorFixture.UserRequest("fine", model: "counted")))
        using (await sim.PostChatAsync(SimulatorFixture.UserRequest("throttled [[sim error=429]]", model: "counted")))
        using (await sim.PostChatAsync(SimulatorFixture.UserRequest("broken [[sim error=500]]", model: "counted")))
        using (await sim.PostChatAsync(SimulatorFixture.UserRequest("typo [[sim tokens=lots]]", model: "counted")))
        using (await sim.PostChatAsync(SimulatorFixture.UserRequest("not this one [[sim error=500 model=counted]]", model: "spared")))
        {
        }
        await Should.ThrowAsync<HttpRequestException>(() => sim.PostChatAsync(SimulatorFixture.UserRequest("cut [[sim drop=0]]", model: "counted")));
        await Should.ThrowAsync<Exception>(
            () => sim.Chat(model: "counted", networkTimeout: TimeSpan.FromMilliseconds(300)).CompleteChatAsync([new UserChatMessage("[[sim hang]]")]));

        var models = await StatsAsync();

        var counted = models.GetProperty("counted");
        counted.GetProperty("requests").GetInt64().ShouldBe(6); // the refused directive included
        counted.GetProperty("completed").GetInt64().ShouldBe(1);
        counted.GetProperty("errors").GetProperty("429").GetInt64().ShouldBe(1);
        counted.GetProperty("errors").GetProperty("500").GetInt64().ShouldBe(1);
        counted.GetProperty("drops").GetInt64().ShouldBe(1);
        counted.GetProperty("hangs").GetInt64().ShouldBe(1);
        counted.GetProperty("routes").GetProperty("/v1/chat/completions").GetInt64().ShouldBe(6);
        models.GetProperty("spared").GetProperty("completed").GetInt64().ShouldBe(1);
    }

    [Fact]
    public async Task Stats_CountARequestSentAgainBeforeItsRetryAfterAsEarly()
    {
        var request = SimulatorFixture.UserRequest("impatient [[sim error=429 retry_after=60 times=2]]", model: "impatient");

        using var first = await sim.PostChatAsync(request);
        using var second = await sim.PostChatAsync(request);

        second.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        (await StatsAsync()).GetProperty("impatient").GetProperty("early_retries").GetInt64().ShouldBe(1);
    }

    [Fact]
    public async Task Stats_CountNoEarlyRetry_WhenTheClientWaitsOutRetryAfter()
    {
        ChatCompletion completion = await sim.Chat(model: "patient", maxRetries: 1).CompleteChatAsync(
            [new UserChatMessage("patient [[sim error=429 retry_after=1 times=1 tokens=2]]")]);

        completion.Usage.OutputTokenCount.ShouldBe(2);
        var patient = (await StatsAsync()).GetProperty("patient");
        patient.GetProperty("requests").GetInt64().ShouldBe(2);
        patient.GetProperty("early_retries").GetInt64().ShouldBe(0);
    }

    private async Task<JsonElement> StatsAsync()
    {
        using var body = JsonDocument.Parse(await sim.Http.GetStringAsync("/stats"));
        return body.RootElement.GetProperty("models").Clone();
    }
}
