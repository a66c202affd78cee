using System.Text.Json;
using Agents.Application.Runs;
using Agents.Application.Storage.Cosmos;
using Agents.Application.Storage.Queues;

namespace Agents.IntegrationTests;

/// <summary>A run whose execution fails on every delivery goes to the poison queue and is marked failed, not lost.</summary>
public sealed class PoisonTests
{
    [Fact]
    public async Task Run_FailingOnEveryDelivery_IsPoisoned_AndMarkedFailedWithAProblem()
    {
        var settings = HostSettings.Isolated(new Dictionary<string, string> { ["Storage__MaxDequeueCount"] = "2" });
        var token = await LocalTokens.AccessTokenAsync("alice");
        string thread, run, userId;
        await using (var apiOnly = await HostProcess.StartAsync(settings with
        {
            Extra = new Dictionary<string, string>(settings.Extra) { ["Runs__EngineEnabled"] = "false" },
        }))
        {
            using var api = new Api(apiOnly.CreateClient(token));
            userId = (await api.GetAsync("/api/v1/me")).Text("userId");
            thread = await api.CreateThreadAsync();
            run = await api.StartRunAsync(thread, "doomed");
        }

        // Corrupt the run's journal so that every replay fails (position 0 must be the input load, not a model call).
        var stack = StackEnvironment.Current;
        using (var cosmos = new CosmosDatabase(new CosmosOptions { Endpoint = stack.CosmosEndpoint, Key = stack.CosmosKey, Emulator = true, Database = settings.Database }, null))
        {
            await new RunStore(cosmos).RecordAsync(userId, thread,
                new JournalEntry(JournalEntry.IdFor(run, 0), run, 0, "model", DateTimeOffset.UtcNow, JsonSerializer.SerializeToElement(new { })), CancellationToken.None);
        }

        await using var engine = await HostProcess.StartAsync(settings);
        using var client = new Api(engine.CreateClient(token));
        var done = await client.WaitRunAsync(thread, run, timeoutSeconds: 90);
        done["status"]!.GetValue<string>().ShouldBe("failed");
        done["error"]!["code"]!.GetValue<string>().ShouldBe("run_failed_repeatedly");

        using var http = new HttpClient();
        var queues = new StorageQueueClient(http, QueueEndpoint.From(new QueueOptions { ConnectionString = stack.StorageConnection }, null));
        var poison = QueueNames.Poison(settings.QueuePrefix + QueueNames.RunRequests);
        var count = 0;
        for (var i = 0; i < 50 && count == 0; i++)
        {
            count = await queues.GetApproximateCountAsync(poison); // the run is marked failed just before the move
            await Task.Delay(count == 0 ? 200 : 0);
        }
        count.ShouldBe(1);
        (await client.GetAsync($"/api/v1/threads/{thread}")).Body!["activeRunId"].ShouldBeNull();
        engine.Output.ShouldContain("moved to the poison queue");
    }
}
