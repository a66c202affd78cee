using System.Net;

namespace Agents.IntegrationTests;

/// <summary>Every record is isolated by owner: bob reaching alice's resources gets 404 on every route, never 403.</summary>
public sealed class IsolationTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    [Fact]
    public async Task Bob_OnEveryRouteOfAlicesResources_Gets404()
    {
        var alice = fixture.Alice;
        var thread = await alice.CreateThreadAsync("alice's");
        var parked = await alice.StartRunAsync(thread,
            "mail [[sim steps=1 tool=send_email args='{\"to\":\"a@b.c\",\"subject\":\"s\",\"body\":\"b\"}']]");
        var run = await alice.WaitRunAsync(thread, parked, r => r["status"]!.GetValue<string>() == "requires_action");
        var toolCallId = run["pendingToolCalls"]![0]!["toolCallId"]!.GetValue<string>();
        var agent = (await alice.PostAsync("/api/v1/agents", new { name = "private" })).Text("id");
        var key = (await alice.PostAsync("/api/v1/api-keys", new { name = "cli" })).Body!["info"]!["keyId"]!.GetValue<string>();

        var bob = fixture.Bob;
        var attempts = new (string Route, Func<Task<ApiResponse>> Call)[]
        {
            ("GET thread", () => bob.GetAsync($"/api/v1/threads/{thread}")),
            ("PATCH thread", () => bob.PatchAsync($"/api/v1/threads/{thread}", new { title = "mine" })),
            ("DELETE thread", () => bob.DeleteAsync($"/api/v1/threads/{thread}")),
            ("GET messages", () => bob.GetAsync($"/api/v1/threads/{thread}/messages")),
            ("POST run", () => bob.PostAsync($"/api/v1/threads/{thread}/runs", new { message = "hi" })),
            ("GET run", () => bob.GetAsync($"/api/v1/threads/{thread}/runs/{parked}")),
            ("GET events", () => bob.GetAsync($"/api/v1/threads/{thread}/runs/{parked}/events")),
            ("POST cancel", () => bob.PostAsync($"/api/v1/threads/{thread}/runs/{parked}/cancel")),
            ("POST approval", () => bob.PostAsync($"/api/v1/threads/{thread}/runs/{parked}/approvals", new { toolCallId, approve = true })),
            ("GET agent", () => bob.GetAsync($"/api/v1/agents/{agent}")),
            ("PUT agent", () => bob.PutAsync($"/api/v1/agents/{agent}", new { name = "mine" })),
            ("DELETE agent", () => bob.DeleteAsync($"/api/v1/agents/{agent}")),
            ("DELETE api key", () => bob.DeleteAsync($"/api/v1/api-keys/{key}")),
        };
        foreach (var (route, call) in attempts)
        {
            var response = await call();
            response.Status.ShouldBe(HttpStatusCode.NotFound, $"{route}: {response.Body?.ToJsonString()}");
        }

        (await bob.GetAsync("/api/v1/threads")).Body!["data"]!.AsArray().ShouldNotContain(t => t!["id"]!.GetValue<string>() == thread);
        (await bob.GetAsync("/api/v1/agents")).Body!["data"]!.AsArray().ShouldNotContain(a => a!["id"]!.GetValue<string>() == agent);
        (await bob.GetAsync("/api/v1/api-keys")).Body!["data"]!.AsArray().ShouldBeEmpty();
        (await bob.GetAsync("/api/v1/usage")).Body!["total"]!["calls"]!.GetValue<int>().ShouldBe(0);

        // Nothing bob did changed alice's run: it is still waiting for her.
        (await alice.GetAsync($"/api/v1/threads/{thread}/runs/{parked}")).Body!["status"]!.GetValue<string>().ShouldBe("requires_action");
        (await alice.GetAsync($"/api/v1/threads/{thread}")).Text("title").ShouldBe("alice's");
    }

    [Fact]
    public async Task NoCredentials_Gets401WithChallenge_ExceptOnHealth()
    {
        var anonymous = fixture.Anonymous;
        var response = await anonymous.GetAsync("/api/v1/threads");
        response.Status.ShouldBe(HttpStatusCode.Unauthorized);
        response.Raw.Headers.WwwAuthenticate.ToString().ShouldStartWith("Bearer");
        response.Code.ShouldBe("unauthenticated");
        (await anonymous.GetAsync("/api/health/live")).Status.ShouldBe(HttpStatusCode.OK);

        anonymous.Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "not-a-jwt");
        var bad = await anonymous.GetAsync("/api/v1/me");
        anonymous.Http.DefaultRequestHeaders.Authorization = null;
        bad.Status.ShouldBe(HttpStatusCode.Unauthorized);
        bad.Raw.Headers.WwwAuthenticate.ToString().ShouldContain("error=\"invalid_token\"");
    }

    [Fact]
    public async Task ApiKey_ActsAsItsOwner_UntilRevoked()
    {
        var created = await fixture.Alice.PostAsync("/api/v1/api-keys", new { name = "script" });
        created.Status.ShouldBe(HttpStatusCode.Created);
        var secret = created.Text("key");
        var keyId = created.Body!["info"]!["keyId"]!.GetValue<string>();

        using var viaKey = new Api(fixture.Host.CreateClient());
        viaKey.Http.DefaultRequestHeaders.Add("api-key", secret);
        var me = await viaKey.GetAsync("/api/v1/me");
        me.Status.ShouldBe(HttpStatusCode.OK);
        me.Text("userId").ShouldBe((await fixture.Alice.GetAsync("/api/v1/me")).Text("userId"));
        me.Text("kind").ShouldBe("apikey");

        var listed = (await fixture.Alice.GetAsync("/api/v1/api-keys")).Body!.ToJsonString();
        listed.ShouldContain(keyId);
        listed.ShouldNotContain(secret);

        (await fixture.Alice.DeleteAsync($"/api/v1/api-keys/{keyId}")).Status.ShouldBe(HttpStatusCode.NoContent);
        (await viaKey.GetAsync("/api/v1/me")).Status.ShouldBe(HttpStatusCode.Unauthorized);
    }
}
