namespace Agents.IntegrationTests;

/// <summary>A run that waits longer than Runs:QueuedExpirySeconds before it starts expires instead of starting late.</summary>
public sealed class ExpiryTests
{
    [Fact]
    public async Task Run_StuckBehindABacklog_Expires_WithAProblem_AndFreesTheThread()
    {
        // One activity at a time: a long model call holds the only slot, so the next run's first step waits behind it.
        await using var settings = HostSettings.Isolated(new Dictionary<string, string>
        {
            ["Runs__QueuedExpirySeconds"] = "1",
            ["AzureFunctionsJobHost__extensions__durableTask__maxConcurrentActivityFunctions"] = "1",
        });
        await using var host = await HostProcess.StartAsync(settings);
        using var api = new Api(host.CreateClient(await LocalTokens.AccessTokenAsync("alice")));

        var busyThread = await api.CreateThreadAsync();
        var busy = await api.StartRunAsync(busyThread, "slow [[sim tokens=40 tps=10]]"); // about 4 s of streaming
        using (var stream = await Sse.OpenAsync(api.Http, busyThread, busy))
        {
            await foreach (var e in Sse.ReadAsync(await stream.Content.ReadAsStreamAsync()))
            {
                if (e.Type == "message.delta")
                {
                    break; // the model call holds the slot now
                }
            }
        }

        var thread = await api.CreateThreadAsync();
        var run = await api.StartRunAsync(thread, "too late");
        var done = await api.WaitRunAsync(thread, run, timeoutSeconds: 60);
        done["status"]!.GetValue<string>().ShouldBe("expired");
        done["error"]!["code"]!.GetValue<string>().ShouldBe("run_expired");
        (await api.GetAsync($"/api/v1/threads/{thread}")).Body!["activeRunId"].ShouldBeNull();
        (await api.WaitRunAsync(busyThread, busy))["status"]!.GetValue<string>().ShouldBe("completed");

        var again = await api.StartRunAsync(thread, "now");
        (await api.WaitRunAsync(thread, again))["status"]!.GetValue<string>().ShouldBe("completed");
    }
}
