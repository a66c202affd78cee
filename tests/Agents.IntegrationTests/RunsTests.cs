using System.Net;
using Agents.Application.Runs;
using Agents.Application.Storage.Cosmos;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agents.IntegrationTests;

/// <summary>Runs through the HTTP API of a real host: the agent loop, tools, approvals, cancel, failures.</summary>
public sealed class RunsTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private Api Alice => fixture.Alice;

    [Fact]
    public async Task Run_WithWait_CompletesWithTheModelsAnswer_AndRecordsUsageOnce()
    {
        var thread = await Alice.CreateThreadAsync();
        var response = await Alice.PostAsync($"/api/v1/threads/{thread}/runs?wait=true", new { message = "hi [[sim reply=\"The answer is 42.\"]]" });

        response.Status.ShouldBe(HttpStatusCode.Created);
        var run = response.Body!;
        run["status"]!.GetValue<string>().ShouldBe("completed");
        run["usage"]!["outputTokens"]!.GetValue<int>().ShouldBe(4);
        var messages = await Alice.MessagesAsync(thread);
        messages.Select(m => m!["role"]!.GetValue<string>()).ShouldBe(["user", "assistant"]);
        messages[1]!["content"]!.GetValue<string>().ShouldBe("The answer is 42.");

        var usage = await Alice.GetAsync("/api/v1/usage?groupBy=model");
        var records = usage.Body!["groups"]!.AsArray().Single(g => g!["key"]!.GetValue<string>() == "sim-small")!;
        records["calls"]!.GetValue<int>().ShouldBeGreaterThanOrEqualTo(1);
    }

    [Fact]
    public async Task Run_Default_Answers202WithLocation_ThenCompletes()
    {
        var thread = await Alice.CreateThreadAsync();
        var response = await Alice.PostAsync($"/api/v1/threads/{thread}/runs", new { message = "hello" });

        response.Status.ShouldBe(HttpStatusCode.Accepted);
        response.Body!["status"]!.GetValue<string>().ShouldBe("queued");
        var location = response.Raw.Headers.Location!.ToString();
        location.ShouldEndWith($"/api/v1/threads/{thread}/runs/{response.Text("id")}");
        var done = await Alice.WaitRunAsync(thread, response.Text("id"));
        done["status"]!.GetValue<string>().ShouldBe("completed");
        done["steps"]!.AsArray().Count.ShouldBe(1);
    }

    [Fact]
    public async Task Run_WithParallelToolCalls_RunsBothTools_AndFeedsResultsBack()
    {
        var thread = await Alice.CreateThreadAsync();
        var run = await Alice.StartRunAsync(thread,
            "compute [[sim steps=1 tool=calculator args='{\"expression\":\"6*7\"}' tool=calculator args='{\"expression\":\"2^10\"}' reply=\"done\"]]");
        var done = await Alice.WaitRunAsync(thread, run);

        done["status"]!.GetValue<string>().ShouldBe("completed");
        var tools = done["steps"]!.AsArray().Where(s => s!["kind"]!.GetValue<string>() == "tool_call").ToList();
        tools.Count.ShouldBe(2);
        tools.Select(t => t!["resultSummary"]!.GetValue<string>()).Order().ShouldBe(["1024", "42"]);
        var messages = await Alice.MessagesAsync(thread);
        messages.Select(m => m!["role"]!.GetValue<string>()).ShouldBe(["user", "assistant", "tool", "tool", "assistant"]);
        messages[1]!["toolCalls"]!.AsArray().Count.ShouldBe(2);
        messages[4]!["content"]!.GetValue<string>().ShouldBe("done");
    }

    [Fact]
    public async Task Approval_Approved_RunsTheTool()
    {
        var (thread, run, pending) = await StartParkedRunAsync("approve me");
        var decision = await Alice.PostAsync($"/api/v1/threads/{thread}/runs/{run}/approvals", new { toolCallId = pending, approve = true });
        decision.Status.ShouldBe(HttpStatusCode.Accepted);

        var done = await Alice.WaitRunAsync(thread, run);
        done["status"]!.GetValue<string>().ShouldBe("completed");
        var step = done["steps"]!.AsArray().Single(s => s!["toolName"]?.GetValue<string>() == "send_email")!;
        step["status"]!.GetValue<string>().ShouldBe("completed");
        step["resultSummary"]!.GetValue<string>().ShouldContain("queued in the outbox");
    }

    [Fact]
    public async Task Approval_RecordedByAProcessThatDiedBeforeRaisingIt_IsDeliveredWhenTheClientSendsItAgain()
    {
        var (thread, run, pending) = await StartParkedRunAsync("lost approval");
        // What a host killed between storing the decision and raising its event leaves: the record, and no event.
        var userId = (await Alice.GetAsync("/api/v1/me")).Text("userId");
        var stack = StackEnvironment.Current;
        using (var cosmos = new CosmosDatabase(new CosmosOptions { Endpoint = stack.CosmosEndpoint, Key = stack.CosmosKey, Emulator = true, Database = fixture.HostSettings.Database }, null))
        {
            (await new RunStore(cosmos, new OptimisticUpdates(NullLogger<OptimisticUpdates>.Instance)).TryRecordApprovalAsync(userId, thread, new ApprovalRecord(
                ApprovalRecord.IdFor(run, pending), run, pending, Approved: true, null, userId, DateTimeOffset.UtcNow), CancellationToken.None)).ShouldBeTrue();
        }

        var other = await Alice.PostAsync($"/api/v1/threads/{thread}/runs/{run}/approvals", new { toolCallId = pending, approve = false });
        other.Status.ShouldBe(HttpStatusCode.Conflict);
        other.Code.ShouldBe("approval_already_decided");
        var resent = await Alice.PostAsync($"/api/v1/threads/{thread}/runs/{run}/approvals", new { toolCallId = pending, approve = true });
        resent.Status.ShouldBe(HttpStatusCode.Accepted, resent.Body?.ToJsonString());

        var done = await Alice.WaitRunAsync(thread, run);
        done["status"]!.GetValue<string>().ShouldBe("completed");
        done["steps"]!.AsArray().Single(s => s!["toolName"]?.GetValue<string>() == "send_email")!["status"]!.GetValue<string>().ShouldBe("completed");
    }

    [Fact]
    public async Task Approval_Denied_DoesNotRunTheTool_AndTellsTheModel()
    {
        var (thread, run, pending) = await StartParkedRunAsync("deny me");
        (await Alice.PostAsync($"/api/v1/threads/{thread}/runs/{run}/approvals", new { toolCallId = pending, approve = false, reason = "not today" }))
            .Status.ShouldBe(HttpStatusCode.Accepted);

        var done = await Alice.WaitRunAsync(thread, run);
        done["status"]!.GetValue<string>().ShouldBe("completed");
        done["steps"]!.AsArray().Single(s => s!["toolName"]?.GetValue<string>() == "send_email")!["status"]!.GetValue<string>().ShouldBe("denied");
        var tool = (await Alice.MessagesAsync(thread)).Single(m => m!["role"]!.GetValue<string>() == "tool")!;
        tool["content"]!.GetValue<string>().ShouldContain("not today");

        var again = await Alice.PostAsync($"/api/v1/threads/{thread}/runs/{run}/approvals", new { toolCallId = pending, approve = true });
        again.Status.ShouldBe(HttpStatusCode.Conflict);
        again.Code.ShouldBe("approval_not_pending");
    }

    [Fact]
    public async Task Cancel_WhileModelStreams_StopsTheStreamEarly_AndKeepsPartialOutput()
    {
        var thread = await Alice.CreateThreadAsync();
        var run = await Alice.StartRunAsync(thread, "slow [[sim tokens=200 tps=20]]");
        using (var stream = await Sse.OpenAsync(Alice.Http, thread, run))
        {
            var deltas = 0;
            await foreach (var e in Sse.ReadAsync(await stream.Content.ReadAsStreamAsync()))
            {
                if (e.Type == "message.delta" && ++deltas == 5)
                {
                    break; // the model is streaming: cancel now
                }
            }
        }

        var started = DateTime.UtcNow;
        (await Alice.PostAsync($"/api/v1/threads/{thread}/runs/{run}/cancel")).Status.ShouldBe(HttpStatusCode.Accepted);
        var done = await Alice.WaitRunAsync(thread, run);
        done["status"]!.GetValue<string>().ShouldBe("cancelled");
        var completedAt = DateTimeOffset.Parse(done["completedAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        // The stream had about 9.75 s to go: ending within 4 s shows the cancel stopped it (its latency is benchmarked, not tested).
        (completedAt - started).ShouldBeLessThan(TimeSpan.FromSeconds(4));

        var assistant = (await Alice.MessagesAsync(thread)).Single(m => m!["role"]!.GetValue<string>() == "assistant")!;
        assistant["incomplete"]!.GetValue<bool>().ShouldBeTrue();
        var words = assistant["content"]!.GetValue<string>().Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        words.ShouldBeInRange(5, 199);
        done["usage"]!["outputTokens"]!.GetValue<int>().ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task ModelStreamBreakingAfterText_FailsTheRun_KeepingThePartialAnswer_AndCountingItsTokens()
    {
        // An agent with tools: what a provider bills for the prompt includes the tool definitions.
        var agent = await Alice.PostAsync("/api/v1/agents", new
        {
            name = "tooled",
            instructions = "Answer briefly.",
            tools = new[] { new { name = "calculator" }, new { name = "current_time" }, new { name = "save_note" }, new { name = "list_notes" } },
        });
        agent.Status.ShouldBe(HttpStatusCode.Created, agent.Body?.ToJsonString());
        var agentId = agent.Text("id");

        // The same prompt answered in full: the simulator's own count of its prompt tokens (tools included).
        var whole = await Alice.CreateThreadAsync();
        var wholeRun = await Alice.StartRunAsync(whole, "tell me [[sim tokens=20]]", new { agentId });
        var billed = (await Alice.WaitRunAsync(whole, wholeRun))["usage"]!["inputTokens"]!.GetValue<int>();

        var thread = await Alice.CreateThreadAsync();
        var run = await Alice.StartRunAsync(thread, "tell me [[sim tokens=20 drop=5]]", new { agentId });
        var deltas = 0;
        using (var stream = await Sse.OpenAsync(Alice.Http, thread, run))
        {
            await foreach (var e in Sse.ReadAsync(await stream.Content.ReadAsStreamAsync()))
            {
                deltas += e.Type == "message.delta" ? 1 : 0;
            }
        }
        deltas.ShouldBe(5); // not tried again once text reached the client (that would repeat it)

        var done = await Alice.WaitRunAsync(thread, run);
        done["status"]!.GetValue<string>().ShouldBe("failed");
        done["error"]!["code"]!.GetValue<string>().ShouldBe("model_stream_interrupted");
        done["error"]!["detail"]!.GetValue<string>().ShouldBe(Agents.Domain.Runs.ModelProblems.Interrupted.Detail); // worded for a person, no socket message
        var assistant = (await Alice.MessagesAsync(thread)).Single(m => m!["role"]!.GetValue<string>() == "assistant")!;
        assistant["incomplete"]!.GetValue<bool>().ShouldBeTrue();
        assistant["content"]!.GetValue<string>().Split(' ', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(5);
        // The estimate (tool definitions included) errs high: at least what the provider counted for the whole answer's prompt.
        done["usage"]!["inputTokens"]!.GetValue<int>().ShouldBeGreaterThanOrEqualTo(billed);
        done["usage"]!["outputTokens"]!.GetValue<int>().ShouldBeGreaterThanOrEqualTo(5);
        (await LedgerCallsAsync(agentId)).ShouldBe(2); // one record each, the broken call's marked partial
        (await Alice.GetAsync($"/api/v1/threads/{thread}")).Body!["activeRunId"].ShouldBeNull();
    }

    [Fact]
    public async Task ModelStreamBreakingBeforeAnyText_IsTriedAgain_AndTheRunCompletes()
    {
        var thread = await Alice.CreateThreadAsync();
        var run = await Alice.StartRunAsync(thread, $"once {Guid.NewGuid():N} [[sim reply=\"second time lucky\" drop=0 times=1]]");
        var done = await Alice.WaitRunAsync(thread, run);
        done["status"]!.GetValue<string>().ShouldBe("completed", done.ToJsonString());
        var assistant = (await Alice.MessagesAsync(thread)).Single(m => m!["role"]!.GetValue<string>() == "assistant")!;
        assistant["content"]!.GetValue<string>().ShouldBe("second time lucky");
        (assistant["incomplete"]?.GetValue<bool>() ?? false).ShouldBeFalse();
    }

    /// <summary>The ledger's records of one agent's model calls (the agent is the test's own: other tests' runs do not count).</summary>
    private async Task<int> LedgerCallsAsync(string agentId) =>
        (await Alice.GetAsync("/api/v1/usage?groupBy=agent")).Body!["groups"]!.AsArray()
            .Where(g => g!["key"]!.GetValue<string>() == agentId).Sum(g => g!["calls"]!.GetValue<int>());

    [Fact]
    public async Task Model429ThenSuccess_IsRetried_AndTheRunCompletes()
    {
        var thread = await Alice.CreateThreadAsync();
        var run = await Alice.StartRunAsync(thread, $"limited {Guid.NewGuid():N} [[sim error=429 retry_after=1 times=1 reply=\"after retry\"]]");
        var done = await Alice.WaitRunAsync(thread, run);
        done["status"]!.GetValue<string>().ShouldBe("completed");
        (await Alice.MessagesAsync(thread))[1]!["content"]!.GetValue<string>().ShouldBe("after retry");
    }

    [Fact]
    public async Task ModelHardFailure_FailsTheRun_WithAProblem()
    {
        var thread = await Alice.CreateThreadAsync();
        var run = await Alice.StartRunAsync(thread, "broken [[sim error=400]]");
        var done = await Alice.WaitRunAsync(thread, run);
        done["status"]!.GetValue<string>().ShouldBe("failed");
        done["error"]!["code"]!.GetValue<string>().ShouldBe("model_rejected_request");
        (await Alice.GetAsync($"/api/v1/threads/{thread}")).Body!["activeRunId"].ShouldBeNull();
    }

    [Fact]
    public async Task SecondRun_WhileOneIsActive_Gets409()
    {
        var thread = await Alice.CreateThreadAsync();
        var first = await Alice.StartRunAsync(thread, "slow [[sim tokens=30 tps=10]]");
        var second = await Alice.PostAsync($"/api/v1/threads/{thread}/runs", new { message = "again" });
        second.Status.ShouldBe(HttpStatusCode.Conflict);
        second.Code.ShouldBe("run_active");
        second.Body!["activeRunId"]!.GetValue<string>().ShouldBe(first);
        await Alice.PostAsync($"/api/v1/threads/{thread}/runs/{first}/cancel");
        await Alice.WaitRunAsync(thread, first);
        var third = await Alice.PostAsync($"/api/v1/threads/{thread}/runs", new { message = "now" });
        third.Status.ShouldBe(HttpStatusCode.Accepted);
        await Alice.WaitRunAsync(thread, third.Text("id")); // nothing of this test left running into the next
    }

    [Theory]
    [InlineData("{\"message\":\"\"}", "message")]
    [InlineData("{\"message\":\"x\",\"parameters\":{\"temperature\":3}}", "parameters.temperature")]
    [InlineData("{\"message\":\"x\",\"parameters\":{\"maxTokens\":0}}", "parameters.maxTokens")]
    [InlineData("{\"message\":\"x\",\"agentId\":\"nope\"}", "agentId")]
    public async Task CreateRun_WithInvalidInput_Answers400NamingTheField(string body, string field)
    {
        var thread = await Alice.CreateThreadAsync();
        var response = await Alice.PostAsync($"/api/v1/threads/{thread}/runs", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        response.Status.ShouldBe(HttpStatusCode.BadRequest);
        response.Code.ShouldBe("validation_failed");
        response.Body!["errors"]!.AsObject().ContainsKey(field).ShouldBeTrue(response.Body.ToJsonString());
        response.Body["traceId"].ShouldNotBeNull();
    }

    [Fact]
    public async Task CreateRun_WithMalformedJson_Answers400_AndNothingIsStored()
    {
        var thread = await Alice.CreateThreadAsync();
        var response = await Alice.PostAsync($"/api/v1/threads/{thread}/runs", new StringContent("{\"message\": \"x\",", System.Text.Encoding.UTF8, "application/json"));
        response.Status.ShouldBe(HttpStatusCode.BadRequest);
        response.Code.ShouldBe("malformed_json");
        (await Alice.MessagesAsync(thread)).ShouldBeEmpty();
    }

    private async Task<(string Thread, string Run, string ToolCallId)> StartParkedRunAsync(string text)
    {
        var thread = await Alice.CreateThreadAsync();
        var run = await Alice.StartRunAsync(thread,
            $"{text} [[sim steps=1 tool=send_email args='{{\"to\":\"bob@example.com\",\"subject\":\"hi\",\"body\":\"hello\"}}' reply=\"sent\"]]");
        var parked = await Alice.WaitRunAsync(thread, run, r => r["status"]!.GetValue<string>() == "requires_action");
        var pending = parked["pendingToolCalls"]!.AsArray().Single()!;
        pending["name"]!.GetValue<string>().ShouldBe("send_email");
        return (thread, run, pending["toolCallId"]!.GetValue<string>());
    }
}
