using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace Agents.IntegrationTests.Limits;

/// <summary>Two hosts on the same stores, with small request limits: bob (standard) 7 costly a minute, alice (admin) 6 requests a minute.</summary>
public sealed class TwoLimitedHostsFixture : IAsyncLifetime
{
    public const int CostlyQuota = 7;
    public const int AdminGeneralQuota = 6;

    public HostProcess First { get; private set; } = null!;

    public HostProcess Second { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var settings = HostSettings.Isolated(new Dictionary<string, string>
        {
            ["Limits__Tiers__standard__CostlyRequestsPerMinute"] = CostlyQuota.ToString(CultureInfo.InvariantCulture),
            ["Limits__Tiers__admin__RequestsPerMinute"] = AdminGeneralQuota.ToString(CultureInfo.InvariantCulture),
        });
        First = await HostProcess.StartAsync(settings);
        Second = await HostProcess.StartAsync(settings);
    }

    public async Task DisposeAsync()
    {
        await First.DisposeAsync();
        await Second.DisposeAsync();
    }
}

/// <summary>Request rate limits hold across instances, and every limited response says where the caller stands.</summary>
public sealed class RateLimitTests(TwoLimitedHostsFixture hosts) : IClassFixture<TwoLimitedHostsFixture>
{
    [Fact]
    public async Task CostlyLimit_Under50ConcurrentRunCreations_OnTwoHosts_AdmitsExactlyItsQuota_AndRetryAfterIsTruthful()
    {
        var token = await LocalTokens.AccessTokenAsync("bob");
        using var first = new Api(hosts.First.CreateClient(token));
        using var second = new Api(hosts.Second.CreateClient(token));
        var threads = new List<string>();
        for (var i = 0; i < 50; i++)
        {
            threads.Add(await first.CreateThreadAsync($"burst {i}"));
        }

        await RateWindow.EnsureLeftAsync(TimeSpan.FromSeconds(20));
        var responses = await Task.WhenAll(threads.Select((thread, i) =>
            (i % 2 == 0 ? first : second).PostAsync($"/api/v1/threads/{thread}/runs", new { message = "hi [[sim tokens=1]]" })));

        var admitted = responses.Where(r => r.Status != HttpStatusCode.TooManyRequests).ToList();
        var refused = responses.Where(r => r.Status == HttpStatusCode.TooManyRequests).ToList();
        admitted.Count.ShouldBe(TwoLimitedHostsFixture.CostlyQuota);
        admitted.ShouldAllBe(r => r.Status == HttpStatusCode.Accepted);
        // Each admission saw its own count: the remaining values are exactly quota-1 .. 0, once each.
        admitted.Select(r => Header(r, "X-RateLimit-Remaining")).Order().ShouldBe(Enumerable.Range(0, TwoLimitedHostsFixture.CostlyQuota));
        responses.ShouldAllBe(r => Header(r, "X-RateLimit-Limit") == TwoLimitedHostsFixture.CostlyQuota);
        responses.ShouldAllBe(r => Header(r, "X-RateLimit-Reset") >= 1 && Header(r, "X-RateLimit-Reset") <= 60);

        refused.Count.ShouldBe(50 - TwoLimitedHostsFixture.CostlyQuota);
        foreach (var r in refused)
        {
            Header(r, "X-RateLimit-Remaining").ShouldBe(0);
            var retryAfter = int.Parse(r.Raw.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture);
            retryAfter.ShouldBe(Header(r, "X-RateLimit-Reset"));
            r.Raw.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
            r.Code.ShouldBe("rate_limited");
            r.Body!["status"]!.GetValue<int>().ShouldBe(429);
            r.Body!["limit"]!.GetValue<int>().ShouldBe(TwoLimitedHostsFixture.CostlyQuota);
        }
        // Both hosts refused: the second host knew about the first host's admissions (they share the counter).
        refused.Count(r => r.Raw.RequestMessage!.RequestUri!.Port == hosts.First.BaseAddress.Port).ShouldBeGreaterThan(0);
        refused.Count(r => r.Raw.RequestMessage!.RequestUri!.Port == hosts.Second.BaseAddress.Port).ShouldBeGreaterThan(0);

        // Retry-After is truthful: once it has passed, the next window admits again, from the top.
        var wait = refused.Max(r => Header(r, "X-RateLimit-Reset"));
        await Task.Delay(TimeSpan.FromSeconds(wait) + TimeSpan.FromMilliseconds(300));
        var again = await second.PostAsync($"/api/v1/threads/{threads[^1]}/runs", new { message = "again [[sim tokens=1]]" });
        again.Status.ShouldBe(HttpStatusCode.Accepted, again.Body?.ToJsonString());
        Header(again, "X-RateLimit-Remaining").ShouldBe(TwoLimitedHostsFixture.CostlyQuota - 1);
    }

    [Fact]
    public async Task GeneralLimit_CountsDownOnEveryRoute_RefusesWith429_AndAnApiKeyHasAWindowOfItsOwn()
    {
        var token = await LocalTokens.AccessTokenAsync("alice");
        using var alice = new Api(hosts.First.CreateClient(token));
        await RateWindow.EnsureLeftAsync(TimeSpan.FromSeconds(20));

        var created = await alice.PostAsync("/api/v1/api-keys", new { name = "limits test" });
        created.Status.ShouldBe(HttpStatusCode.Created, created.Body?.ToJsonString());
        Header(created, "X-RateLimit-Remaining").ShouldBe(TwoLimitedHostsFixture.AdminGeneralQuota - 1);
        for (var left = TwoLimitedHostsFixture.AdminGeneralQuota - 2; left >= 0; left--)
        {
            var me = await alice.GetAsync("/api/v1/me");
            me.Status.ShouldBe(HttpStatusCode.OK);
            Header(me, "X-RateLimit-Limit").ShouldBe(TwoLimitedHostsFixture.AdminGeneralQuota);
            Header(me, "X-RateLimit-Remaining").ShouldBe(left);
        }

        foreach (var host in new[] { hosts.First, hosts.Second })
        {
            using var api = new Api(host.CreateClient(token));
            var refused = await api.GetAsync("/api/v1/threads");
            refused.Status.ShouldBe(HttpStatusCode.TooManyRequests);
            refused.Code.ShouldBe("rate_limited");
            Header(refused, "X-RateLimit-Remaining").ShouldBe(0);
            refused.Raw.Headers.RetryAfter!.Delta!.Value.TotalSeconds.ShouldBeInRange(1, 60);
        }

        // The key counts in its own window (per API key), at its owner's tier.
        var http = hosts.Second.CreateClient();
        http.DefaultRequestHeaders.Add("api-key", created.Body!["key"]!.GetValue<string>());
        using var withKey = new Api(http);
        var byKey = await withKey.GetAsync("/api/v1/me");
        byKey.Status.ShouldBe(HttpStatusCode.OK, byKey.Body?.ToJsonString());
        Header(byKey, "X-RateLimit-Remaining").ShouldBe(TwoLimitedHostsFixture.AdminGeneralQuota - 1);
        byKey.Body!["tier"]!.GetValue<string>().ShouldBe("admin");
    }

    private static int Header(ApiResponse response, string name) =>
        int.Parse(response.Raw.Headers.GetValues(name).Single(), CultureInfo.InvariantCulture);
}

/// <summary>Admin routes (usage of anyone, a user's tier) and the request limits, on a host with the default limits.</summary>
public sealed class AdminAndRequestLimitsTests(HostFixture host) : IClassFixture<HostFixture>
{
    [Fact]
    public async Task AdminRoutes_RefuseBob_AndShowAlice_AnyUsersUsage()
    {
        var probe = await host.Bob.GetAsync("/api/v1/me");
        probe.Status.ShouldBe(HttpStatusCode.OK, string.Join('\n', host.Host.Output.Split('\n').Where(l => l.Contains("xception", StringComparison.Ordinal) || l.Contains("rror", StringComparison.Ordinal)).TakeLast(30)));
        foreach (var (method, path) in new[] { (HttpMethod.Get, "/api/v1/admin/usage"), (HttpMethod.Put, "/api/v1/admin/users/someone/tier"), (HttpMethod.Get, "/api/v1/admin/users/someone/limits") })
        {
            var refused = await host.Bob.SendAsync(method, path, method == HttpMethod.Put ? new { tier = "admin" } : null);
            refused.Status.ShouldBe(HttpStatusCode.Forbidden, path);
            refused.Code.ShouldBe("forbidden");
        }

        var bobId = (await host.Bob.GetAsync("/api/v1/me")).Text("userId");
        var thread = await host.Bob.CreateThreadAsync();
        var run = await host.Bob.StartRunAsync(thread, "count me [[sim tokens=9]]");
        (await host.Bob.WaitRunAsync(thread, run))["status"]!.GetValue<string>().ShouldBe("completed");
        var own = (await host.Bob.GetAsync("/api/v1/usage")).Body!["total"]!;

        var byAdmin = await host.Alice.GetAsync($"/api/v1/admin/usage?userId={bobId}");
        byAdmin.Status.ShouldBe(HttpStatusCode.OK, byAdmin.Body?.ToJsonString());
        byAdmin.Body!["total"]!["totalTokens"]!.GetValue<long>().ShouldBe(own["totalTokens"]!.GetValue<long>());
        own["calls"]!.GetValue<int>().ShouldBeGreaterThanOrEqualTo(1);
        byAdmin.Body!["total"]!["calls"]!.GetValue<int>().ShouldBe(own["calls"]!.GetValue<int>());

        var everyone = await host.Alice.GetAsync("/api/v1/admin/usage?groupBy=user");
        everyone.Body!["groups"]!.AsArray().Select(g => g!["key"]!.GetValue<string>()).ShouldContain(bobId);

        var limits = await host.Alice.GetAsync($"/api/v1/admin/users/{bobId}/limits");
        limits.Status.ShouldBe(HttpStatusCode.OK);
        limits.Body!["limits"]!["day"]!["used"]!.GetValue<long>().ShouldBe(own["totalTokens"]!.GetValue<long>());

        (await host.Alice.GetAsync("/api/v1/admin/usage?userId=not%20a%20user")).Body!["errors"]!["userId"].ShouldNotBeNull();
    }

    [Fact]
    public async Task TierChange_ByAnAdmin_TakesEffectOnMe_AndOnTheRateLimits_UntilCleared()
    {
        var me = await host.Bob.GetAsync("/api/v1/me");
        var bobId = me.Text("userId");
        me.Body!["tier"]!.GetValue<string>().ShouldBe("standard");
        me.Body!["limits"]!["tierSource"]!.GetValue<string>().ShouldBe("default");
        (await host.Alice.GetAsync("/api/v1/me")).Body!["limits"]!["tierSource"]!.GetValue<string>().ShouldBe("role");

        var unknown = await host.Alice.PutAsync($"/api/v1/admin/users/{bobId}/tier", new { tier = "gold" });
        unknown.Status.ShouldBe(HttpStatusCode.BadRequest);
        unknown.Body!["errors"]!["tier"]![0]!.GetValue<string>().ShouldContain("free");
        (await host.Alice.PutAsync($"/api/v1/admin/users/{bobId}/tier", new { })).Body!["errors"]!["tier"].ShouldNotBeNull();

        var set = await host.Alice.PutAsync($"/api/v1/admin/users/{bobId}/tier", new { tier = "free" });
        set.Status.ShouldBe(HttpStatusCode.OK, set.Body?.ToJsonString());
        set.Body!["tier"]!.GetValue<string>().ShouldBe("free");

        var free = await host.Bob.GetAsync("/api/v1/me");
        free.Body!["tier"]!.GetValue<string>().ShouldBe("free");
        var limits = free.Body!["limits"]!;
        limits["tierSource"]!.GetValue<string>().ShouldBe("admin_setting");
        limits["costlyRequestsPerMinute"]!.GetValue<int>().ShouldBe(10);
        limits["day"]!["limit"]!.GetValue<long>().ShouldBe(50_000);
        free.Raw.Headers.GetValues("X-RateLimit-Limit").Single().ShouldBe("300");
        var thread = await host.Bob.CreateThreadAsync();
        var run = await host.Bob.PostAsync($"/api/v1/threads/{thread}/runs", new { message = "free [[sim tokens=1]]" });
        run.Raw.Headers.GetValues("X-RateLimit-Limit").Single().ShouldBe("10");

        (await host.Alice.DeleteAsync($"/api/v1/admin/users/{bobId}/tier")).Status.ShouldBe(HttpStatusCode.NoContent);
        (await host.Bob.GetAsync("/api/v1/me")).Body!["tier"]!.GetValue<string>().ShouldBe("standard");
    }

    [Fact]
    public async Task RequestLimits_AreRefused_WithAProblemNamingTheFieldAndTheLimit()
    {
        // A chunked body (no Content-Length) three times over the limit: the app stops parsing at the limit and reads
        // the rest away (LimitedRequestBody), so its 413 problem reaches the client (a body left half-sent made the
        // Functions host answer an empty 500 instead).
        using var chunked = System.Net.Http.Json.JsonContent.Create(new { title = new string('x', 3_000_000) });
        chunked.Headers.ContentLength.ShouldBeNull();
        var tooLarge = await host.Bob.PostAsync("/api/v1/threads", chunked);
        tooLarge.Status.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        tooLarge.Code.ShouldBe("body_too_large");
        tooLarge.Body!["limit"]!.GetValue<long>().ShouldBe(1024 * 1024);

        // A declared length over the limit is refused before the body is read; with Expect: 100-continue the client
        // never sends it (without, the server's early answer races the client's write).
        using var declared = new ByteArrayContent(new byte[(1024 * 1024) + 1]);
        declared.Headers.ContentType = new("application/json");
        using var expecting = new Api(host.Host.CreateClient(await LocalTokens.AccessTokenAsync("bob")));
        expecting.Http.DefaultRequestHeaders.ExpectContinue = true;
        (await expecting.PostAsync("/api/v1/threads", declared)).Code.ShouldBe("body_too_large");

        // A query value of the wrong kind is named in the caller's terms, never as a .NET type (int?, Nullable<int>).
        var notANumber = await host.Bob.GetAsync("/api/v1/threads?limit=abc");
        notANumber.Status.ShouldBe(HttpStatusCode.BadRequest);
        ErrorOf(notANumber, "limit").ShouldBe("must be a whole number, not 'abc'");
        notANumber.Body!.ToJsonString().ShouldNotContain("int?");
        ErrorOf(await host.Bob.PostAsync($"/api/v1/threads/{await host.Bob.CreateThreadAsync()}/runs?wait=maybe", new { message = "hi" }), "wait").ShouldBe("must be true or false, not 'maybe'");

        ErrorOf(await host.Bob.GetAsync("/api/v1/threads?limit=101"), "limit").ShouldContain("100");
        ErrorOf(await host.Bob.PostAsync("/api/v1/threads", new { title = new string('t', 201) }), "title").ShouldContain("200");

        var thread = await host.Bob.CreateThreadAsync();
        ErrorOf(await host.Bob.PostAsync($"/api/v1/threads/{thread}/runs", new { message = new string('m', 32_001) }), "message").ShouldContain("32000");
        ErrorOf(await host.Bob.PostAsync($"/api/v1/threads/{thread}/runs", new { message = "hi", parameters = new { maxTokens = 40_000 } }), "parameters.maxTokens").ShouldContain("32768");
        ErrorOf(await host.Bob.PostAsync("/api/v1/agents", new { name = "twice", tools = new[] { new { name = "calculator" }, new { name = "calculator" } } }), "tools").ShouldContain("calculator");
    }

    private static string ErrorOf(ApiResponse response, string field)
    {
        response.Status.ShouldBe(HttpStatusCode.BadRequest, response.Body?.ToJsonString());
        response.Code.ShouldBe("validation_failed");
        return (response.Body!["errors"]![field] as JsonArray)?[0]?.GetValue<string>() ?? throw new ShouldAssertException($"no error for '{field}' in {response.Body.ToJsonString()}");
    }
}

/// <summary>Rate windows are whole UTC minutes: a test that counts within one waits until enough of it is left.</summary>
internal static class RateWindow
{
    public static async Task EnsureLeftAsync(TimeSpan needed)
    {
        var intoWindow = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() % 60_000;
        var left = TimeSpan.FromMilliseconds(60_000 - intoWindow);
        if (left < needed)
        {
            await Task.Delay(left + TimeSpan.FromMilliseconds(200));
        }
    }
}
