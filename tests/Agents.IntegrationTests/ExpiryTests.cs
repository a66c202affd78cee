namespace Agents.IntegrationTests;

/// <summary>A run that waits longer than Runs:QueuedExpirySeconds before it starts expires instead of starting late.</summary>
public sealed class ExpiryTests
{
    [Fact]
    public async Task Run_StuckBehindABacklog_Expires_WithAProblem_AndFreesTheThread()
    {
        // The backlog: a host with one activity slot, held by a long model call, dies with the next run still queued
        // behind it. The host that takes over (expiry 1 s) starts that run at least its own start-up time after the
        // run was accepted, so it must expire; the first host's expiry is the default hour, so the busy run cannot.
        await using var settings = HostSettings.Isolated(new Dictionary<string, string>
        {
            ["AzureFunctionsJobHost__extensions__durableTask__maxConcurrentActivityFunctions"] = "1",
        });
        var token = await LocalTokens.AccessTokenAsync("alice");
        string thread, run;
        await using (var first = await HostProcess.StartAsync(settings))
        {
            using var api = new Api(first.CreateClient(token));
            var busyThread = await api.CreateThreadAsync();
            var busy = await api.StartRunAsync(busyThread, "slow [[sim tokens=600 tps=10]]"); // a minute of streaming
            using (var stream = await Sse.OpenAsync(api.Http, busyThread, busy))
            {
                await foreach (var e in Sse.ReadAsync(await stream.Content.ReadAsStreamAsync()))
                {
                    if (e.Type == "message.delta")
                    {
                        break; // the model call holds the only slot now
                    }
                }
            }
            thread = await api.CreateThreadAsync();
            run = await api.StartRunAsync(thread, "too late");
            first.Kill();
        }

        await using var second = await HostProcess.StartAsync(settings with
        {
            Extra = new Dictionary<string, string> { ["Runs__QueuedExpirySeconds"] = "1" },
        });
        using var takeover = new Api(second.CreateClient(token));
        var done = await takeover.WaitRunAsync(thread, run, timeoutSeconds: 60);
        done["status"]!.GetValue<string>().ShouldBe("expired");
        done["error"]!["code"]!.GetValue<string>().ShouldBe("run_expired");
        // The thread is released before the run is marked expired: whoever sees the status finds the thread free.
        (await takeover.GetAsync($"/api/v1/threads/{thread}")).Body!["activeRunId"].ShouldBeNull();

        // The thread takes a new run: StartRunAsync asserts a 202 (a run still active on the thread would get a 409).
        // Whether that run expires too depends on how fast this fresh host starts it, so its end is not asserted.
        (await takeover.StartRunAsync(thread, "now")).ShouldNotBeNullOrEmpty();
    }
}
