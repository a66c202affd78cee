using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Agents.Application.Storage.Cosmos;

namespace Agents.IntegrationTests;

/// <summary>
/// The run's orchestration on the real Functions host, seen through the Durable Functions HTTP API: late events, a
/// terminated instance, and the size of the history.
/// </summary>
public sealed class OrchestrationTests(OrchestrationTests.Fixture fixture) : IClassFixture<OrchestrationTests.Fixture>
{
    public sealed class Fixture : HostFixture
    {
        protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string> { ["Runs__SweepGraceSeconds"] = "10" };
    }

    private Api Alice => fixture.Alice;

    [Fact]
    public async Task TerminatedOrchestration_LateApprovalAndCancelAreDropped_AndTheSweepFailsTheRun()
    {
        var thread = await Alice.CreateThreadAsync();
        var run = await Alice.StartRunAsync(thread,
            "mail [[sim steps=1 tool=send_email args='{\"to\":\"bob@example.com\",\"subject\":\"hi\",\"body\":\"hello\"}' reply=\"sent\"]]");
        var parked = await Alice.WaitRunAsync(thread, run, r => r["status"]!.GetValue<string>() == "requires_action");
        var toolCallId = parked["pendingToolCalls"]![0]!["toolCallId"]!.GetValue<string>();

        using var durable = fixture.Host.CreateClient();
        var key = await fixture.Host.MasterKeyAsync();
        (await durable.PostAsync(new Uri($"/runtime/webhooks/durabletask/instances/{run}/terminate?reason=test&code={key}", UriKind.Relative), null))
            .StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await WaitForAsync(async () => (await InstanceAsync(durable, key, run))?["runtimeStatus"]?.GetValue<string>() == "Terminated");

        // The run still shows parked; a decision and a cancel reach an orchestration that no longer runs: accepted, no error.
        (await Alice.PostAsync($"/api/v1/threads/{thread}/runs/{run}/approvals", new { toolCallId, approve = true })).Status.ShouldBe(HttpStatusCode.Accepted);
        (await Alice.PostAsync($"/api/v1/threads/{thread}/runs/{run}/cancel")).Status.ShouldBe(HttpStatusCode.Accepted);

        var failed = await Alice.WaitRunAsync(thread, run, timeoutSeconds: 60);
        failed["status"]!.GetValue<string>().ShouldBe("failed");
        failed["error"]!["code"]!.GetValue<string>().ShouldBe("run_terminated");
        (await Alice.GetAsync($"/api/v1/threads/{thread}")).Body!["activeRunId"].ShouldBeNull();
        fixture.Host.Output.ShouldContain($"for run {run} dropped: the orchestration is not running");

        var next = await Alice.StartRunAsync(thread, "again");
        (await Alice.WaitRunAsync(thread, next))["status"]!.GetValue<string>().ShouldBe("completed");
    }

    [Fact]
    public async Task History_GrowsWithTheSteps_NotTheirSquare()
    {
        var agent = await Alice.PostAsync("/api/v1/agents", new
        {
            name = "long runner",
            instructions = "Count.",
            maxSteps = 40,
            tools = new[] { new { name = "calculator" } },
        });
        agent.Status.ShouldBe(HttpStatusCode.Created, agent.Body?.ToJsonString());
        var agentId = agent.Text("id");

        var small = await HistoryBytesAsync(agentId, steps: 6);
        var large = await HistoryBytesAsync(agentId, steps: 30);

        // Five times the steps: about five times the history when inputs pass by reference; 25 times if every model
        // call carried the whole prompt.
        ((double)large / small).ShouldBeLessThan(7.5, $"history bytes: 6 steps {small}, 30 steps {large}");
    }

    [Fact]
    public async Task RetentionTimer_DeletesWhatOutlivedItsTtl_AndKeepsTheRest()
    {
        var stack = StackEnvironment.Current;
        using var cosmos = new CosmosDatabase(new CosmosOptions { Endpoint = stack.CosmosEndpoint, Key = stack.CosmosKey, Emulator = true, Database = fixture.HostSettings.Database }, null);
        var events = new DocumentContainer(cosmos.Container(Containers.Events));
        var id = Guid.NewGuid().ToString("N");
        await events.UpsertAsync("retention-test", "test", new { id = id + "-old", ttl = 1 }, CancellationToken.None);
        await events.UpsertAsync("retention-test", "test", new { id = id + "-new", ttl = 3600 }, CancellationToken.None);
        await events.UpsertAsync("retention-test", "test", new { id = id + "-kept" }, CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // _ts has one-second resolution: let the one-second ttl run out

        // Invoke the timer function now, through the host's admin API, as the schedule would.
        using var admin = fixture.Host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/admin/functions/RetentionSweep") { Content = JsonContent.Create(new { input = "" }) };
        request.Headers.Add("x-functions-key", await fixture.Host.MasterKeyAsync());
        (await admin.SendAsync(request)).StatusCode.ShouldBe(HttpStatusCode.Accepted);

        await WaitForAsync(async () => await events.ReadAsync<JsonNode>("retention-test", id + "-old", CancellationToken.None) is null);
        (await events.ReadAsync<JsonNode>("retention-test", id + "-new", CancellationToken.None)).ShouldNotBeNull();
        (await events.ReadAsync<JsonNode>("retention-test", id + "-kept", CancellationToken.None)).ShouldNotBeNull();
    }

    private async Task<long> HistoryBytesAsync(string agentId, int steps)
    {
        var thread = await Alice.CreateThreadAsync();
        var text = string.Concat(Enumerable.Repeat("Some context to make the prompt grow. ", 40));
        var run = await Alice.StartRunAsync(thread,
            $"{text} [[sim steps={steps} tool=calculator args='{{\"expression\":\"1+1\"}}' tokens=20 tps=2000]]", new { agentId });
        var done = await Alice.WaitRunAsync(thread, run, timeoutSeconds: 120);
        done["status"]!.GetValue<string>().ShouldBe("completed", done.ToJsonString());

        using var durable = fixture.Host.CreateClient();
        var key = await fixture.Host.MasterKeyAsync();
        var body = await durable.GetStringAsync(new Uri(
            $"/runtime/webhooks/durabletask/instances/{run}?showHistory=true&showHistoryOutput=true&showInput=true&code={key}", UriKind.Relative));
        JsonNode.Parse(body)!["historyEvents"]!.AsArray().Count.ShouldBeGreaterThan(steps * 3); // at least a model call and a tool call (scheduled, completed) per step
        return body.Length;
    }

    private static async Task<JsonNode?> InstanceAsync(HttpClient durable, string key, string run)
    {
        using var response = await durable.GetAsync(new Uri($"/runtime/webhooks/durabletask/instances/{run}?code={key}", UriKind.Relative));
        return response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync()) : null;
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The condition did not hold within 30 s.");
            }
            await Task.Delay(100);
        }
    }
}
