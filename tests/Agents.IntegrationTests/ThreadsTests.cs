using System.Net;

namespace Agents.IntegrationTests;

/// <summary>Threads, messages and agents through the HTTP API: CRUD, cursor paging, validation.</summary>
public sealed class ThreadsTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private Api Alice => fixture.Alice;

    [Fact]
    public async Task Threads_ListNewestFirst_WithCursorPaging_AndBoundedLimit()
    {
        using var fresh = new Api(fixture.Host.CreateClient(await LocalTokens.AccessTokenAsync("bob")));
        var created = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            created.Add(await fresh.CreateThreadAsync($"paging {i}"));
        }

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await fresh.GetAsync($"/api/v1/threads?limit=2{(cursor is null ? "" : "&cursor=" + cursor)}");
            page.Status.ShouldBe(HttpStatusCode.OK);
            seen.AddRange(page.Body!["data"]!.AsArray().Select(t => t!["id"]!.GetValue<string>()));
            cursor = page.Body["nextCursor"]?.GetValue<string>();
            pages++;
        }
        while (cursor is not null && pages < 10);

        seen.Where(created.Contains).ShouldBe(Enumerable.Reverse(created).ToList());
        (await fresh.GetAsync("/api/v1/threads?limit=1000")).Code.ShouldBe("validation_failed");
        (await fresh.GetAsync("/api/v1/threads?limit=0")).Status.ShouldBe(HttpStatusCode.BadRequest);
        (await fresh.GetAsync("/api/v1/threads?cursor=not-a-cursor")).Code.ShouldBe("invalid_cursor");
    }

    [Fact]
    public async Task Thread_RenameAndDelete_DeleteMakesItAndItsMessagesInvisible()
    {
        var thread = await Alice.CreateThreadAsync("before");
        var renamed = await Alice.PatchAsync($"/api/v1/threads/{thread}", new { title = "after" });
        renamed.Status.ShouldBe(HttpStatusCode.OK);
        renamed.Text("title").ShouldBe("after");
        (await Alice.GetAsync($"/api/v1/threads/{thread}")).Text("title").ShouldBe("after");
        (await Alice.PatchAsync($"/api/v1/threads/{thread}", new { title = new string('x', 500) })).Code.ShouldBe("validation_failed");

        await Alice.PostAsync($"/api/v1/threads/{thread}/runs?wait=true", new { message = "hello" });
        (await Alice.DeleteAsync($"/api/v1/threads/{thread}")).Status.ShouldBe(HttpStatusCode.NoContent);
        (await Alice.GetAsync($"/api/v1/threads/{thread}")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await Alice.GetAsync($"/api/v1/threads/{thread}/messages")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await Alice.DeleteAsync($"/api/v1/threads/{thread}")).Code.ShouldBe("thread_not_found");
    }

    [Fact]
    public async Task DeletingAThread_DuringItsRun_CancelsTheRunCleanly_ThenRemovesEverything()
    {
        var thread = await Alice.CreateThreadAsync();
        var run = await Alice.StartRunAsync(thread, "long [[sim tokens=400 tps=20]]");
        using var stream = await Sse.OpenAsync(Alice.Http, thread, run);
        var events = Sse.ReadAsync(await stream.Content.ReadAsStreamAsync()).GetAsyncEnumerator();
        var deltas = 0;
        while (deltas < 3 && await events.MoveNextAsync())
        {
            deltas += events.Current.Type == "message.delta" ? 1 : 0;
        }

        (await Alice.DeleteAsync($"/api/v1/threads/{thread}")).Status.ShouldBe(HttpStatusCode.NoContent);
        (await Alice.GetAsync($"/api/v1/threads/{thread}")).Status.ShouldBe(HttpStatusCode.NotFound);

        // The run stops as a cancel would stop it (the answer had ~20 s to go), and its stream says so.
        var last = events.Current;
        while (await events.MoveNextAsync())
        {
            last = events.Current;
        }
        await events.DisposeAsync();
        last.Type.ShouldBe("done");
        last.Json["status"]!.GetValue<string>().ShouldBe("cancelled");

        // Then the cleanup removes the run with the rest; nothing of it failed, threw or was poisoned on the way. Its
        // last step logs that it is done (the run's document goes before its events, so a 404 alone is not the end).
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!fixture.Host.Output.Contains($"Thread {thread} cleaned up", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }
        (await Alice.GetAsync($"/api/v1/threads/{thread}/runs/{run}")).Status.ShouldBe(HttpStatusCode.NotFound);
        var about = fixture.Host.Output.Split('\n').Where(l => l.Contains(run, StringComparison.Ordinal)).ToList();
        about.ShouldContain(l => l.Contains($"Run {run} ended Cancelled", StringComparison.Ordinal));
        about.ShouldNotContain(l => l.Contains("fail", StringComparison.OrdinalIgnoreCase) || l.Contains("stopped", StringComparison.Ordinal) || l.Contains("Exception", StringComparison.Ordinal));
        fixture.Host.Output.ShouldContain($"Thread {thread} cleaned up");
    }

    [Fact]
    public async Task Messages_PageInBothOrders_AndAreAppendOnly()
    {
        var thread = await Alice.CreateThreadAsync();
        for (var i = 0; i < 3; i++)
        {
            (await Alice.PostAsync($"/api/v1/threads/{thread}/runs?wait=true", new { message = $"turn {i} [[sim reply=\"answer {i}\"]]" }))
                .Status.ShouldBe(HttpStatusCode.Created);
        }
        var ascending = await Alice.GetAsync($"/api/v1/threads/{thread}/messages?limit=4&order=asc");
        ascending.Body!["data"]!.AsArray().Select(m => m!["content"]!.GetValue<string>())
            .ShouldBe(["turn 0 [[sim reply=\"answer 0\"]]", "answer 0", "turn 1 [[sim reply=\"answer 1\"]]", "answer 1"]);
        var rest = await Alice.GetAsync($"/api/v1/threads/{thread}/messages?limit=4&order=asc&cursor={ascending.Body["nextCursor"]!.GetValue<string>()}");
        rest.Body!["data"]!.AsArray().Select(m => m!["content"]!.GetValue<string>()).ShouldBe(["turn 2 [[sim reply=\"answer 2\"]]", "answer 2"]);

        var newest = await Alice.GetAsync($"/api/v1/threads/{thread}/messages?limit=1&order=desc");
        newest.Body!["data"]![0]!["content"]!.GetValue<string>().ShouldBe("answer 2");
        (await Alice.GetAsync($"/api/v1/threads/{thread}/messages?order=sideways")).Code.ShouldBe("validation_failed");
    }

    [Fact]
    public async Task Agents_DefaultExists_PrivateAgentCrud_AndItsParametersValidated()
    {
        var list = await Alice.GetAsync("/api/v1/agents");
        list.Body!["data"]!.AsArray().ShouldContain(a => a!["id"]!.GetValue<string>() == "default");

        var created = await Alice.PostAsync("/api/v1/agents", new
        {
            name = "Math tutor",
            instructions = "Explain step by step.",
            defaults = new { temperature = 0.2, maxTokens = 200 },
            tools = new[] { new { name = "calculator", approval = "never" } },
            maxSteps = 3,
        });
        created.Status.ShouldBe(HttpStatusCode.Created);
        var id = created.Text("id");
        created.Text("ownerId").ShouldNotBe("shared");

        var replaced = await Alice.PutAsync($"/api/v1/agents/{id}", new { name = "Math coach", tools = new[] { new { name = "calculator", approval = "always" } } });
        replaced.Status.ShouldBe(HttpStatusCode.OK);
        replaced.Body!["tools"]![0]!["approval"]!.GetValue<string>().ShouldBe("always");

        var thread = await Alice.CreateThreadAsync();
        var run = await Alice.PostAsync($"/api/v1/threads/{thread}/runs?wait=true", new { message = "hi", agentId = id });
        run.Body!["agentId"]!.GetValue<string>().ShouldBe(id);

        var bad = await Alice.PostAsync("/api/v1/agents", new { name = "", tools = new[] { new { name = "rm_rf", approval = "never" } }, defaults = new { topP = 2 } });
        bad.Status.ShouldBe(HttpStatusCode.BadRequest);
        bad.Body!["errors"]!.AsObject().Select(e => e.Key).Order().ShouldBe(["defaults.topP", "name", "tools[0].name"]);

        (await Alice.DeleteAsync($"/api/v1/agents/{id}")).Status.ShouldBe(HttpStatusCode.NoContent);
        (await Alice.GetAsync($"/api/v1/agents/{id}")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await Alice.DeleteAsync("/api/v1/agents/default")).Code.ShouldBe("agent_protected");
    }

    [Fact]
    public async Task SharedAgents_OnlyAdminsManageThem()
    {
        (await fixture.Bob.PostAsync("/api/v1/agents", new { name = "x", shared = true })).Status.ShouldBe(HttpStatusCode.Forbidden);
        (await fixture.Bob.PutAsync("/api/v1/agents/default", new { name = "mine now" })).Status.ShouldBe(HttpStatusCode.Forbidden);
        var shared = await Alice.PostAsync("/api/v1/agents", new { name = "Team agent", shared = true });
        shared.Status.ShouldBe(HttpStatusCode.Created);
        shared.Text("ownerId").ShouldBe("shared");
        (await fixture.Bob.GetAsync($"/api/v1/agents/{shared.Text("id")}")).Status.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ErrorsAreProblemDetails_ForUnknownRoutes_BadMethods_WrongMediaType_AndOversizedBodies()
    {
        var unknown = await Alice.GetAsync("/api/v1/nothing-here");
        unknown.Status.ShouldBe(HttpStatusCode.NotFound);
        unknown.Raw.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");

        var text = await Alice.PostAsync("/api/v1/threads", new StringContent("title=x", System.Text.Encoding.UTF8, "text/plain"));
        text.Status.ShouldBe(HttpStatusCode.UnsupportedMediaType);

        // Expect: 100-continue, as careful clients send large bodies: the server refuses on the declared length
        // before reading, and the client does not race it writing 2 MB into a closed connection.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/threads")
        {
            Content = new StringContent($"{{\"title\":\"{new string('x', 2_000_000)}\"}}", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.ExpectContinue = true;
        using var huge = await Alice.Http.SendAsync(request);
        huge.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        var problem = System.Text.Json.Nodes.JsonNode.Parse(await huge.Content.ReadAsStringAsync())!;
        problem["code"]!.GetValue<string>().ShouldBe("body_too_large");
        problem["limit"]!.GetValue<long>().ShouldBe(1024 * 1024);

        var unknownField = await Alice.PostAsync("/api/v1/threads", new { title = "x", color = "red" });
        unknownField.Code.ShouldBe("malformed_json");
        unknownField.Body!["detail"]!.GetValue<string>().ShouldBe("'color' is not a member this request takes at $.color");
    }

    [Theory]
    [InlineData("/api/v1/agents", """{"name":"a","tools":{}}""", "The value has the wrong type: expected an array at $.tools")]
    [InlineData("/api/v1/agents", """{"name":"a","maxSteps":"many"}""", "The value has the wrong type: expected a number at $.maxSteps")]
    [InlineData("/api/v1/agents", """{"name":"a","tools":[{"name":"calculator","approval":"sometimes"}]}""", "The value has the wrong type: expected one of 'never', 'always', 'policy' at $.tools[0].approval")]
    [InlineData("/api/v1/threads", """{"metadata":[1]}""", "The value has the wrong type: expected an object at $.metadata")]
    [InlineData("/api/v1/api-keys", """{"name":7}""", "The value has the wrong type: expected a string at $.name")]
    public async Task AValueOfTheWrongType_IsNamedInJsonTerms_NeverAsADotNetType(string path, string body, string detail)
    {
        var answer = await Alice.PostAsync(path, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        answer.Status.ShouldBe(HttpStatusCode.BadRequest);
        answer.Code.ShouldBe("malformed_json");
        answer.Body!["detail"]!.GetValue<string>().ShouldBe(detail);
    }
}
