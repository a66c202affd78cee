using System.Net;
using System.Text.Json.Nodes;

namespace Agents.IntegrationTests;

/// <summary>
/// The policy pipeline through a real host: the tool-call judge (the simulator's sim-judge scores keywords) in agent
/// runs and in the gateway, changes through the admin API taking effect on the next request, validation, the live
/// activity stream. Each test class has its own database, so the stored chain here is this class's own.
/// </summary>
public sealed class PoliciesTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private const string Chain = "/api/v1/admin/policies/chain";
    private const string OpenAi = "/api/openai/v1/chat/completions";

    private Api Alice => fixture.Alice;

    private static readonly string[] ZebraTerms = ["project-zebra"];

    private static readonly object JudgeChain = new
    {
        chain = new object[] { new { policy = "tool-judge", settings = new { judgeModel = "sim-judge" } } },
    };

    [Fact]
    public async Task Judge_InAnAgentRun_BlocksADangerousCall_ParksABorderlineOne_AndTheActivityStreamShowsBoth()
    {
        (await Alice.PutAsync(Chain, JudgeChain)).Status.ShouldBe(HttpStatusCode.OK);
        var agent = await Alice.PostAsync("/api/v1/agents", new { name = "noter", tools = new[] { new { name = "save_note", approval = "policy" } } });
        agent.Status.ShouldBe(HttpStatusCode.Created, agent.Body?.ToJsonString());
        var agentId = agent.Text("id");

        using var activity = await ActivityStream.OpenAsync(Alice.Http, "type=policy");
        var thread = await Alice.CreateThreadAsync();
        var dangerous = await Alice.StartRunAsync(thread,
            "clean up [[sim steps=1 tool=save_note args='{\"title\":\"x\",\"text\":\"rm -rf /\"}']]", new { agentId });
        var blocked = await Alice.WaitRunAsync(thread, dangerous);

        blocked["status"]!.GetValue<string>().ShouldBe("completed");
        var step = blocked["steps"]!.AsArray().Single(s => s!["kind"]!.GetValue<string>() == "tool_call")!;
        step["status"]!.GetValue<string>().ShouldBe("blocked");
        step["resultSummary"]!.GetValue<string>().ShouldContain("rm -rf");

        var borderline = await Alice.StartRunAsync(thread,
            "note this [[sim steps=1 tool=save_note args='{\"title\":\"y\",\"text\":\"write it down\"}']]", new { agentId });
        var parked = await Alice.WaitRunAsync(thread, borderline, r => r["status"]!.GetValue<string>() is "requires_action" or "completed" or "failed");

        parked["status"]!.GetValue<string>().ShouldBe("requires_action");
        var pending = parked["pendingToolCalls"]!.AsArray().Single()!;
        pending["name"]!.GetValue<string>().ShouldBe("save_note");
        pending["reason"]!.GetValue<string>().ShouldContain("0.60");

        var seen = await activity.ReadUntilAsync(events =>
            events.Any(e => e["type"]!.GetValue<string>() == "policy.block" && e["runId"]?.GetValue<string>() == dangerous)
            && events.Any(e => e["type"]!.GetValue<string>() == "policy.approval" && e["runId"]?.GetValue<string>() == borderline));
        var block = seen.First(e => e["type"]!.GetValue<string>() == "policy.block");
        block["policy"]!.GetValue<string>().ShouldBe("tool-judge");
        block["tool"]!.GetValue<string>().ShouldBe("save_note");
        block["score"]!.GetValue<double>().ShouldBe(0.95);
        block["surface"]!.GetValue<string>().ShouldBe("run");
        seen.ShouldContain(e => e["type"]!.GetValue<string>() == "policy.approval" && e["score"]!.GetValue<double>() == 0.6);
        await activity.ReadUntilAsync(_ => activity.Comments > 0); // heartbeats (every second in tests)
    }

    [Fact]
    public async Task Judge_InTheGateway_ReplacesABlockedToolCallWithARefusal()
    {
        (await Alice.PutAsync(Chain, JudgeChain)).Status.ShouldBe(HttpStatusCode.OK);
        var tools = new[] { new { type = "function", function = new { name = "send_email", parameters = new { type = "object" } } } };

        var response = await Alice.PostAsync(OpenAi, new
        {
            model = "sim-small",
            tools,
            messages = new[] { new { role = "user", content = "mail [[sim tool=send_email args='{\"to\":\"a@b.c\"}']]" } },
        });

        response.Status.ShouldBe(HttpStatusCode.OK, response.Body?.ToJsonString());
        var choice = response.Body!["choices"]![0]!;
        choice["finish_reason"]!.GetValue<string>().ShouldBe("stop");
        choice["message"]!["tool_calls"].ShouldBeNull();
        choice["message"]!["content"]!.GetValue<string>().ShouldContain("blocked by policy 'tool-judge'");
        choice["message"]!["content"]!.GetValue<string>().ShouldContain("approval"); // middle band: the gateway cannot park it
    }

    [Fact]
    public async Task PolicyChange_ThroughTheAdminApi_TakesEffectOnTheNextRequest()
    {
        var request = new { model = "sim-small", messages = new[] { new { role = "user", content = "tell me about project-zebra" } } };
        (await Alice.DeleteAsync(Chain)).Status.ShouldBe(HttpStatusCode.NoContent);
        (await Alice.PostAsync(OpenAi, request)).Status.ShouldBe(HttpStatusCode.OK);

        var set = await Alice.PutAsync(Chain, new { chain = new object[] { new { policy = "content-blocklist", settings = new { terms = ZebraTerms } } } });
        set.Status.ShouldBe(HttpStatusCode.OK, set.Body?.ToJsonString());
        var blocked = await Alice.PostAsync(OpenAi, request);

        blocked.Status.ShouldBe(HttpStatusCode.Forbidden);
        blocked.Body!["error"]!["code"]!.GetValue<string>().ShouldBe("policy_blocked");
        blocked.Body!["error"]!["message"]!.GetValue<string>().ShouldContain("project-zebra");

        var effective = await Alice.GetAsync(Chain);
        effective.Body!["source"]!.GetValue<string>().ShouldBe("stored");
        var entry = effective.Body!["entries"]![0]!;
        entry["sources"]!["terms"]!.GetValue<string>().ShouldBe("stored");
        entry["sources"]!["action"]!.GetValue<string>().ShouldBe("default");

        (await Alice.DeleteAsync(Chain)).Status.ShouldBe(HttpStatusCode.NoContent);
        (await Alice.PostAsync(OpenAi, request)).Status.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task SetChain_AnswersTheNewETag_WhichTheNextChangeMustMatch()
    {
        (await Alice.DeleteAsync(Chain)).Status.ShouldBe(HttpStatusCode.NoContent);
        var chain = new { chain = new object[] { new { policy = "content-blocklist", settings = new { terms = ZebraTerms } } } };
        var first = await Alice.PutAsync(Chain, chain);
        first.Status.ShouldBe(HttpStatusCode.OK, first.Body?.ToJsonString());
        var etag = first.Raw.Headers.ETag.ShouldNotBeNull().Tag;
        (await Alice.GetAsync(Chain)).Raw.Headers.ETag!.Tag.ShouldBe(etag); // the same document, the same ETag

        var second = await PutIfMatchAsync(chain, etag);
        second.StatusCode.ShouldBe(HttpStatusCode.OK);
        var next = second.Headers.ETag.ShouldNotBeNull().Tag;
        next.ShouldNotBe(etag);

        var stale = await PutIfMatchAsync(chain, etag);
        stale.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        JsonNode.Parse(await stale.Content.ReadAsStringAsync())!["code"]!.GetValue<string>().ShouldBe("policy_chain_changed");
        (await Alice.DeleteAsync(Chain)).Status.ShouldBe(HttpStatusCode.NoContent);
    }

    private async Task<HttpResponseMessage> PutIfMatchAsync(object chain, string etag)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(Chain, UriKind.Relative)) { Content = System.Net.Http.Json.JsonContent.Create(chain) };
        request.Headers.TryAddWithoutValidation("If-Match", etag);
        return await Alice.Http.SendAsync(request);
    }

    [Fact]
    public async Task SetChain_WithInvalidSettings_Answers400WithFieldErrors()
    {
        var response = await Alice.PutAsync(Chain, new
        {
            chain = new object[]
            {
                new { policy = "tool-judge", settings = new { blockThreshold = 0.4, approvalThreshold = 0.6 } },
                new { policy = "size-limit", settings = new { maxInputChars = "lots", colour = "red" } },
                new { policy = "no-such-policy" },
            },
        });

        response.Status.ShouldBe(HttpStatusCode.BadRequest);
        response.Code.ShouldBe("validation_failed");
        var errors = response.Body!["errors"]!.AsObject();
        errors.ShouldContainKey("chain[0].settings.approvalThreshold");
        errors.ShouldContainKey("chain[1].settings.maxInputChars");
        errors.ShouldContainKey("chain[1].settings.colour");
        errors.ShouldContainKey("chain[2].policy");
    }

    [Fact]
    public async Task TestRoute_ReturnsTheDecisions_WithoutCallingUpstreamExceptTheJudge()
    {
        var response = await Alice.PostAsync("/api/v1/admin/policies/test", new
        {
            surface = "run",
            chain = new object[]
            {
                new { policy = "size-limit", settings = new { maxOutputTokens = 50 } },
                new { policy = "tool-judge", settings = new { judgeModel = "sim-judge" } },
            },
            request = new { model = "sim-small", max_tokens = 500, messages = new[] { new { role = "user", content = "hi" } } },
            toolCalls = new[] { new { name = "save_note", arguments = "{\"text\":\"drop table users\"}" }, new { name = "calculator", arguments = "{}" } },
        });

        response.Status.ShouldBe(HttpStatusCode.OK, response.Body?.ToJsonString());
        response.Body!["request"]!.GetValue<string>().ShouldBe("modify");
        response.Body!["modifiedRequest"]!["max_tokens"]!.GetValue<int>().ShouldBe(50);
        var calls = response.Body!["toolCalls"]!.AsArray();
        calls[0]!["action"]!.GetValue<string>().ShouldBe("block");
        calls[1]!["action"]!.GetValue<string>().ShouldBe("pass");
        response.Body!["decisions"]!.AsArray().Count.ShouldBeGreaterThanOrEqualTo(3);
    }

    [Fact]
    public async Task AdminRoutes_NeedTheAdminRole()
    {
        (await fixture.Bob.GetAsync("/api/v1/admin/policies")).Status.ShouldBe(HttpStatusCode.Forbidden);
        (await fixture.Bob.PutAsync(Chain, new { chain = Array.Empty<object>() })).Status.ShouldBe(HttpStatusCode.Forbidden);
        var policies = await Alice.GetAsync("/api/v1/admin/policies");
        policies.Body!["data"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).ShouldBe(["content-blocklist", "size-limit", "tool-judge"]);
        policies.Body!["data"]![2]!["settingsSchema"]!["properties"]!["blockThreshold"]!["maximum"]!.GetValue<double>().ShouldBe(1);
    }

    [Fact]
    public async Task ActivityStream_ShowsEventsOfAnotherInstance_ByPollingTheStore()
    {
        await using var second = await HostProcess.StartAsync(fixture.HostSettings); // same database, another process
        using var onSecond = new Api(second.CreateClient(await LocalTokens.AccessTokenAsync("alice")));
        using var activity = await ActivityStream.OpenAsync(onSecond.Http, "type=gateway");

        var response = await Alice.PostAsync(OpenAi, new { model = "sim-small", messages = new[] { new { role = "user", content = "seen elsewhere?" } } });
        response.Status.ShouldBe(HttpStatusCode.OK);
        var requestId = response.Raw.Headers.GetValues("x-request-id").Single();

        var seen = await activity.ReadUntilAsync(events => events.Any(e => e["requestId"]?.GetValue<string>() == requestId));
        var e = seen.Single(e => e["requestId"]?.GetValue<string>() == requestId);
        e["type"]!.GetValue<string>().ShouldBe("gateway.request");
        e["outputTokens"]!.GetValue<int>().ShouldBe(response.Body!["usage"]!["completion_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task AgentOverride_OnlyAdminsMaySetIt_AndItRaisesTheThresholdForThatAgent()
    {
        (await Alice.PutAsync(Chain, JudgeChain)).Status.ShouldBe(HttpStatusCode.OK);
        var byBob = await fixture.Bob.PostAsync("/api/v1/agents", new { name = "b", policies = new { chain = Array.Empty<string>() } });
        byBob.Status.ShouldBe(HttpStatusCode.Forbidden);

        var agent = await Alice.PostAsync("/api/v1/agents", new
        {
            name = "lenient",
            tools = new[] { new { name = "save_note", approval = "policy" } },
            policies = new { settings = new Dictionary<string, object> { ["tool-judge"] = new { approvalThreshold = 0.7, blockThreshold = 0.99 } } },
        });
        agent.Status.ShouldBe(HttpStatusCode.Created, agent.Body?.ToJsonString());
        var effective = await Alice.GetAsync($"{Chain}?agentId={agent.Text("id")}");
        effective.Body!["entries"]![0]!["sources"]!["blockThreshold"]!.GetValue<string>().ShouldBe("agent");
        effective.Body!["entries"]![0]!["sources"]!["judgeModel"]!.GetValue<string>().ShouldBe("stored");

        var thread = await Alice.CreateThreadAsync();
        var run = await Alice.StartRunAsync(thread, "note [[sim steps=1 tool=save_note args='{\"title\":\"z\",\"text\":\"write it\"}']]", new { agentId = agent.Text("id") });
        var done = await Alice.WaitRunAsync(thread, run);
        done["status"]!.GetValue<string>().ShouldBe("completed"); // 0.6 is below this agent's approval threshold
        done["steps"]!.AsArray().Single(s => s!["kind"]!.GetValue<string>() == "tool_call")!["status"]!.GetValue<string>().ShouldBe("completed");
    }
}

/// <summary>The admin activity stream, read as SSE (event ids are strings, so not through <see cref="Sse"/>).</summary>
internal sealed class ActivityStream : IDisposable
{
    private readonly HttpResponseMessage response;
    private readonly StreamReader reader;
    private readonly List<JsonNode> events = [];

    private ActivityStream(HttpResponseMessage response, StreamReader reader)
    {
        this.response = response;
        this.reader = reader;
    }

    public int Comments { get; private set; }

    public static async Task<ActivityStream> OpenAsync(HttpClient http, string query)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/admin/activity?{query}");
        request.Headers.Accept.ParseAdd("text/event-stream");
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return new ActivityStream(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
    }

    /// <summary>Reads events until <paramref name="done"/> holds for those seen so far (or fails after the timeout).</summary>
    public async Task<List<JsonNode>> ReadUntilAsync(Func<List<JsonNode>, bool> done, int seconds = 30)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        while (!done(events))
        {
            var line = await reader.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("the activity stream ended");
            if (line.StartsWith(':'))
            {
                Comments++;
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                events.Add(JsonNode.Parse(line[6..])!);
            }
        }
        return events;
    }

    public void Dispose()
    {
        reader.Dispose();
        response.Dispose();
    }
}
