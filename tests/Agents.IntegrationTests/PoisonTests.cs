using System.Text.Json;
using Agents.Application.Runs;
using Agents.Application.Runs.Persistence;
using Agents.Application.Storage.Cosmos;
using Agents.Application.Storage.Queues;
using Agents.Domain.Runs;
using Agents.Domain.Usage;

namespace Agents.IntegrationTests;

/// <summary>A run update that fails on every delivery goes to the poison queue, and its run is failed, not left hanging.</summary>
public sealed class PoisonTests
{
    [Fact]
    public async Task RunUpdate_FailingOnEveryDelivery_IsPoisoned_AndTheRunFailsWithAProblem()
    {
        await using var settings = HostSettings.Isolated();
        await using var host = await HostProcess.StartAsync(settings);
        using var api = new Api(host.CreateClient(await LocalTokens.AccessTokenAsync("alice")));
        var userId = (await api.GetAsync("/api/v1/me")).Text("userId");
        var thread = await api.CreateThreadAsync();
        var run = await api.StartRunAsync(thread,
            "mail [[sim steps=1 tool=send_email args='{\"to\":\"bob@example.com\",\"subject\":\"hi\",\"body\":\"hello\"}' reply=\"sent\"]]");
        var parked = await api.WaitRunAsync(thread, run, r => r["status"]!.GetValue<string>() == "requires_action");

        // The next update names a step that cannot follow the stored ones: storing it throws, on every delivery.
        var broken = new RunUpdate(run, parked["version"]!.GetValue<long>() + 1, RunStatus.InProgress, [],
            [new RunStep { Index = 99, Kind = StepKind.ToolCall, Status = "in_progress", StartedAt = DateTimeOffset.UtcNow }],
            [], TokenUsage.Zero, [], []);
        var message = new PersistenceMessage { Run = new RunRef(userId, parked["tenantId"]!.GetValue<string>(), thread, run), Update = broken };
        await using var storage = await settings.Storage.UseAsync();
        var queues = TestQueues.For(storage.ConnectionString);
        await queues.GetQueueClient(QueueNames.Persist).SendMessageAsync(JsonSerializer.Serialize(message, CosmosDatabase.Json));

        var done = await api.WaitRunAsync(thread, run, timeoutSeconds: 90);
        done["status"]!.GetValue<string>().ShouldBe("failed");
        done["error"]!["code"]!.GetValue<string>().ShouldBe("run_not_stored");
        (await api.GetAsync($"/api/v1/threads/{thread}")).Body!["activeRunId"].ShouldBeNull();
        (await queues.GetQueueClient(QueueNames.Poison(QueueNames.Persist)).GetPropertiesAsync()).Value.ApproximateMessagesCount.ShouldBeLessThanOrEqualTo(1);
        host.Output.ShouldContain($"Run {run} failed: one of its updates could not be stored");
    }
}
