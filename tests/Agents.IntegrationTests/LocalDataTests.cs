using System.Net;
using System.Text.Json.Nodes;

namespace Agents.IntegrationTests;

/// <summary>
/// Local data outlives the processes that serve it: the Cosmos DB emulator killed with SIGKILL, or the whole stack
/// (Azurite, the emulator, the OIDC provider) and the Functions host killed together, come back with everything they
/// acknowledged, and the Durable task hub and the documents still agree. Azurite is flushed after the host dies and
/// before it is killed (<see cref="PrivateStackProcess.FlushAzuriteAsync"/>): by itself it keeps only what it wrote
/// in its last 5-second save, which Azure Storage, durable on acknowledgement, never does. Each test has a stack of its own (the shared
/// one must never be crashed); identity stays with the shared stack's OIDC provider, whose tokens the tests hold.
/// </summary>
public sealed class LocalDataTests
{
    [Fact]
    public async Task ThreadsAgentsAndKeys_SurviveAnEmulatorCrash_AndAWholeStackRestart()
    {
        await using var stack = await PrivateStackProcess.StartAsync();
        await using var settings = Settings(stack);
        var token = await LocalTokens.AccessTokenAsync("alice");
        var host = await HostProcess.StartAsync(settings);
        try
        {
            using var api = new Api(host.CreateClient(token));
            var agent = await api.PostAsync("/api/v1/agents", new { name = "keeper", instructions = "Be brief." });
            agent.Status.ShouldBe(HttpStatusCode.Created, agent.Body?.ToJsonString());
            var agentId = agent.Text("id");
            var key = await api.PostAsync("/api/v1/api-keys", new { name = "ci" });
            key.Status.ShouldBe(HttpStatusCode.Created);
            var thread = await api.CreateThreadAsync("kept");
            var run = await api.StartRunAsync(thread, "remember me [[sim tokens=6]]", new { agentId });
            (await api.WaitRunAsync(thread, run))["status"]!.GetValue<string>().ShouldBe("completed");
            var before = await SnapshotAsync(api, thread, agentId);

            // The emulator alone: the stack starts it again on its port, and the running app carries on.
            await stack.KillCosmosAsync();
            (await SnapshotAsync(api, thread, agentId)).ShouldBe(before);
            await RunAgainAsync(api, thread, agentId, "after the emulator crash");

            // Everything: the host is killed, then the stack (Azurite flushed first), and both start again on the same
            // ports with the same data.
            var afterCrash = await SnapshotAsync(api, thread, agentId);
            host.Kill();
            await host.DisposeAsync();
            await stack.FlushAzuriteAsync();
            await stack.RestartAsync();
            host = await HostProcess.StartAsync(settings);
            using var again = new Api(host.CreateClient(token));
            (await SnapshotAsync(again, thread, agentId)).ShouldBe(afterCrash);
            using var viaKey = new Api(host.CreateClient());
            viaKey.Http.DefaultRequestHeaders.Add("api-key", key.Text("key"));
            (await viaKey.GetAsync("/api/v1/me")).Status.ShouldBe(HttpStatusCode.OK);
            await RunAgainAsync(again, thread, agentId, "after the stack restart");
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task RunInProgress_WhenTheWholeStackIsKilled_FinishesAfterItStartsAgain()
    {
        await using var stack = await PrivateStackProcess.StartAsync();
        await using var settings = Settings(stack);
        var token = await LocalTokens.AccessTokenAsync("alice");
        string thread, run;
        await using (var host = await HostProcess.StartAsync(settings))
        {
            using var api = new Api(host.CreateClient(token));
            thread = await api.CreateThreadAsync();
            run = await api.StartRunAsync(thread, "a long answer [[sim tokens=100 tps=20]]"); // five seconds of streaming
            using (var stream = await Sse.OpenAsync(api.Http, thread, run))
            {
                await foreach (var e in Sse.ReadAsync(await stream.Content.ReadAsStreamAsync()))
                {
                    if (e.Type == "message.delta")
                    {
                        break; // the model is answering: the run is in the middle of its model call
                    }
                }
            }
            host.Kill();
            await stack.FlushAzuriteAsync(); // what Azure Storage would keep (Azurite alone writes to disk every 5 s)
            stack.Kill();
        }

        await stack.RestartAsync();
        await using var restarted = await HostProcess.StartAsync(settings);
        using var resumed = new Api(restarted.CreateClient(token));
        // The killed host's control-queue messages come back after their visibility timeout (1 min in tests), then the
        // model call runs again: minutes on two loaded cores.
        JsonNode done;
        try
        {
            done = await resumed.WaitRunAsync(thread, run, timeoutSeconds: 300);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\nThe restarted host logged:\n{restarted.OutputAbout(run)}", e);
        }
        done["status"]!.GetValue<string>().ShouldBe("completed", done.ToJsonString());
        var messages = await resumed.MessagesAsync(thread);
        messages.Count(m => m!["role"]!.GetValue<string>() == "assistant").ShouldBe(1);
        (await resumed.GetAsync($"/api/v1/threads/{thread}")).Body!["activeRunId"].ShouldBeNull();
    }

    private static HostSettings Settings(PrivateStackProcess stack) => HostSettings.Isolated(new Dictionary<string, string>
    {
        ["Cosmos__Endpoint"] = stack.CosmosEndpoint,
    }) with { StorageConnection = stack.StorageConnection };

    /// <summary>What a user would see of their data: the thread, its messages, the agent and the key list.</summary>
    private static async Task<string> SnapshotAsync(Api api, string thread, string agentId)
    {
        var parts = new List<string>();
        foreach (var path in new[] { $"/api/v1/threads/{thread}", $"/api/v1/threads/{thread}/messages", $"/api/v1/agents/{agentId}", "/api/v1/api-keys" })
        {
            var answer = await api.GetAsync(path);
            answer.Status.ShouldBe(HttpStatusCode.OK, $"{path}: {answer.Body?.ToJsonString()}");
            parts.Add(answer.Body!.ToJsonString());
        }
        return string.Join('\n', parts);
    }

    private static async Task RunAgainAsync(Api api, string thread, string agentId, string message)
    {
        var run = await api.StartRunAsync(thread, $"{message} [[sim tokens=4]]", new { agentId });
        (await api.WaitRunAsync(thread, run))["status"]!.GetValue<string>().ShouldBe("completed");
    }
}
