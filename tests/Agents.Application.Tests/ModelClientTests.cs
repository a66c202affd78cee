using Agents.Application.Models;
using Agents.Domain.Agents;
using Agents.Domain.Conversations;
using Agents.Domain.Runs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Agents.Application.Tests;

/// <summary>
/// The model client as the app registers it (the model HttpClient with its authentication handler, the chat clients,
/// the one retry policy) against an in-memory endpoint: the circuit breaker on a manual clock (no retries: one attempt
/// a call), and how each provider is addressed and authenticated.
/// </summary>
public sealed class ModelClientTests : IDisposable
{
    private readonly FakeModelEndpoint endpoint = new();
    private readonly ManualClock clock = new();
    private readonly RecordingLogger<ModelResilience> logger = new();
    private readonly ServiceProvider services;
    private readonly ModelClient client;

    public ModelClientTests()
    {
        services = Services(new ModelOptions
        {
            Endpoint = new Uri("http://model.test/v1/"),
            ApiKey = "test",
            Deployment = "primary",
            FallbackDeployment = "fallback",
            MaxRetries = 0,
            CircuitBreakerMinimumThroughput = 10,
            CircuitBreakerSamplingSeconds = 10,
            CircuitBreakerBreakSeconds = 5,
        });
        client = services.GetRequiredService<ModelClient>();
    }

    public void Dispose()
    {
        services.Dispose();
        endpoint.Dispose();
    }

    [Fact]
    public async Task OpenAiCompatibleEndpoint_GetsTheModelInTheBody_AndTheKeyAsABearerToken()
    {
        (await CallsAsync(1))[0].Content.ShouldBe("ok");

        endpoint.Last.ShouldBe(("/v1/chat/completions", "Bearer test", null));
    }

    [Fact]
    public async Task AzureOpenAiResource_GetsItsDeploymentRoute_AndTheKeyInApiKey()
    {
        using var azure = Services(new ModelOptions
        {
            Endpoint = new Uri("https://contoso.openai.azure.com/openai/v1/"), // the v1 form: the resource is taken from it
            ApiKey = "azure-key",
            Deployment = "primary",
            MaxRetries = 0,
        });

        var turn = await azure.GetRequiredService<ModelClient>().StreamAsync(Call(0), _ => ValueTask.CompletedTask, CancellationToken.None);

        turn.Content.ShouldBe("ok");
        azure.GetRequiredService<ModelEndpoint>().Provider.ShouldBe(ModelProvider.AzureOpenAI);
        endpoint.Last.ShouldBe(("/openai/deployments/primary/chat/completions", null, "azure-key"));
        endpoint.Requests("primary").ShouldBe(1);
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
            turns.Add(await client.StreamAsync(Call(i), _ => ValueTask.CompletedTask, CancellationToken.None));
        }
        return turns;
    }

    private static ModelCall Call(int position) =>
        new(position, "primary", [new ChatMessage { Id = "m", ThreadId = "t", Role = MessageRole.User, Content = "hi" }], [], new ModelParameters(), 30);

    /// <summary>The app's model services over <see cref="endpoint"/> (in place of the network), with the test's clock and logger.</summary>
    private ServiceProvider Services(ModelOptions options)
    {
        var collection = new ServiceCollection();
        collection.AddLogging();
        collection.AddSingleton(options);
        collection.AddSingleton<TimeProvider>(clock);
        collection.AddSingleton<ILogger<ModelResilience>>(logger);
        collection.AddModelEndpoint();
        collection.AddHttpClient(ModelServices.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => endpoint);
        return collection.BuildServiceProvider();
    }
}
