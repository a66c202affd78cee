namespace Agents.IntegrationTests;

/// <summary>A run that waits in the queue longer than Runs:QueuedExpirySeconds expires instead of starting late.</summary>
public sealed class ExpiryTests
{
    [Fact]
    public async Task Run_QueuedTooLong_Expires_WithAProblem_AndFreesTheThread()
    {
        var settings = HostSettings.Isolated(new Dictionary<string, string> { ["Runs__QueuedExpirySeconds"] = "2" });
        var token = await LocalTokens.AccessTokenAsync("alice");
        string thread, run;
        // An API-only host accepts the run; no engine runs it yet.
        await using (var apiOnly = await HostProcess.StartAsync(settings with
        {
            Extra = new Dictionary<string, string>(settings.Extra) { ["Runs__EngineEnabled"] = "false" },
        }))
        {
            using var api = new Api(apiOnly.CreateClient(token));
            thread = await api.CreateThreadAsync();
            run = await api.StartRunAsync(thread, "too late");
            await Task.Delay(TimeSpan.FromSeconds(3));
        }

        await using var engine = await HostProcess.StartAsync(settings);
        using var client = new Api(engine.CreateClient(token));
        var done = await client.WaitRunAsync(thread, run, timeoutSeconds: 60);
        done["status"]!.GetValue<string>().ShouldBe("expired");
        done["error"]!["code"]!.GetValue<string>().ShouldBe("run_expired");
        (await client.GetAsync($"/api/v1/threads/{thread}")).Body!["activeRunId"].ShouldBeNull();
        (await client.PostAsync($"/api/v1/threads/{thread}/runs", new { message = "now" })).Status.ShouldBe(System.Net.HttpStatusCode.Accepted);
    }
}
