using Agents.Application.Models;
using Agents.Domain.Agents;
using Agents.Domain.Conversations;
using Agents.Domain.Runs;

namespace Agents.Application.Tests;

/// <summary>The model client's circuit breaker, on a manual clock, against an in-memory endpoint (no retries: one attempt a call).</summary>
public sealed class ResilientModelClientTests : IDisposable
{
    private readonly FakeModelEndpoint endpoint = new();
    private readonly HttpClient http;
    private readonly ManualClock clock = new();
    private readonly RecordingLogger<ResilientModelClient> logger = new();
    private readonly ResilientModelClient client;

    public ResilientModelClientTests()
    {
        var options = new ModelOptions
        {
            Endpoint = new Uri("http://model.test/v1/"),
            ApiKey = "test",
            Deployment = "primary",
            FallbackDeployment = "fallback",
            MaxRetries = 0,
            CircuitBreakerMinimumThroughput = 10,
            CircuitBreakerSamplingSeconds = 10,
            CircuitBreakerBreakSeconds = 5,
        };
        http = new HttpClient(endpoint);
        client = new ResilientModelClient(new ModelClient(options, null, http), options, logger, clock);
    }

    public void Dispose()
    {
        http.Dispose();
        endpoint.Dispose();
    }

    [Fact]
    public async Task Circuit_OfADeploymentThatServedManyCalls_OpensWithinItsSamplingWindowOnceEveryCallFails()
    {
        await CallsAsync(50);
        endpoint.Fail("primary");
        clock.Advance(TimeSpan.FromSeconds(11)); // the successes are older than the sampling window

        var answers = await CallsAsync(20);

        answers.ShouldAllBe(a => a.Model == "fallback");
        endpoint.Requests("primary").ShouldBe(50 + 10); // the tenth failure opened it: the last ten calls went to the fallback only
    }

    [Fact]
    public async Task Circuit_LogsWhenItOpens_HalfOpens_AndClosesAgain()
    {
        endpoint.Fail("primary");
        await CallsAsync(10);
        endpoint.Heal("primary");
        (await CallsAsync(1))[0].Model.ShouldBe("fallback"); // still open: the break has not passed
        clock.Advance(TimeSpan.FromSeconds(5));

        (await CallsAsync(1))[0].Model.ShouldBe("primary");

        var changes = logger.Messages.Where(m => m.StartsWith("Model deployment primary: circuit", StringComparison.Ordinal)).ToList();
        changes.Count.ShouldBe(3);
        changes[0].ShouldStartWith("Model deployment primary: circuit opened for 5 s after repeated failures: HTTP 500");
        changes[1].ShouldBe("Model deployment primary: circuit half-open, one call tries it");
        changes[2].ShouldBe("Model deployment primary: circuit closed, calls go to it again");
        endpoint.Requests("primary").ShouldBe(11);
    }

    [Fact]
    public async Task Circuit_ChangeIsLoggedInTheInvocationOfTheCallThatCausedIt()
    {
        endpoint.Fail("primary");

        await CallsAsync(10);

        logger.Logged.Where(m => m.Message.StartsWith("Model deployment primary: circuit opened", StringComparison.Ordinal))
            .Select(m => m.Invocation).ShouldBe(["call 9"]); // the tenth failure opened it
    }

    /// <summary>Makes <paramref name="count"/> calls one after another, each in an invocation of its own ("call 0", ...).</summary>
    private async Task<List<ModelTurn>> CallsAsync(int count)
    {
        var turns = new List<ModelTurn>();
        for (var i = 0; i < count; i++)
        {
            logger.Invocation.Value = $"call {i}";
            var call = new ModelCall(i, "primary", [new ChatMessage { Id = "m", ThreadId = "t", Role = MessageRole.User, Content = "hi" }], [], new ModelParameters(), 30);
            turns.Add(await client.StreamAsync(call, _ => ValueTask.CompletedTask, CancellationToken.None));
        }
        return turns;
    }
}
