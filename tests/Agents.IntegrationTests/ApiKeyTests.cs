using System.Net;
using System.Text.Json.Nodes;
using static Agents.IntegrationTests.Infrastructure.ProviderTokens;

namespace Agents.IntegrationTests;

/// <summary>
/// API keys through the HTTP surface: every route the Functions host indexes needs the key scope this table names (and
/// the OpenAPI document lists it), and a key acts with its owner's roles as they are now, not as they were when it was made.
/// </summary>
public sealed class ApiKeyTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private const string Read = "read";
    private const string Runs = "runs";
    private const string Gateway = "gateway";
    private const string Admin = "admin";

    /// <summary>The scope each HTTP function needs from an API key (null: any key). A function not listed fails the test.</summary>
    private static readonly Dictionary<string, string?> Needed = new(StringComparer.Ordinal)
    {
        ["GetMe"] = null,
        ["ListApiKeys"] = Read, ["CreateApiKey"] = Runs, ["RevokeApiKey"] = Runs,
        ["ListAgents"] = Read, ["GetAgent"] = Read, ["CreateAgent"] = Runs, ["ReplaceAgent"] = Runs, ["DeleteAgent"] = Runs,
        ["ListThreads"] = Read, ["GetThread"] = Read, ["ListMessages"] = Read,
        ["CreateThread"] = Runs, ["UpdateThread"] = Runs, ["DeleteThread"] = Runs,
        ["GetRun"] = Read, ["StreamRunEvents"] = Read, ["CreateRun"] = Runs, ["CancelRun"] = Runs, ["ApproveToolCall"] = Runs,
        ["GetUsage"] = Read,
        ["AdminGetUsage"] = Admin, ["AdminGetUserLimits"] = Admin, ["AdminSetUserTier"] = Admin, ["AdminClearUserTier"] = Admin,
        ["ListPolicies"] = Admin, ["GetPolicyChain"] = Admin, ["SetPolicyChain"] = Admin, ["ResetPolicyChain"] = Admin,
        ["TestPolicies"] = Admin, ["StreamActivity"] = Admin, ["RecentActivity"] = Admin,
        ["GatewayOpenAiChatCompletions"] = Gateway, ["GatewayOpenAiModels"] = Gateway, ["GatewayOpenAiRouteNotSupported"] = Gateway,
        ["GatewayAnthropicMessages"] = Gateway, ["GatewayAnthropicModels"] = Gateway, ["GatewayAnthropicRouteNotSupported"] = Gateway,
    };

    private static readonly string[] AdminRole = ["Agents.Admin"];
    private static readonly string[] ReadAndAMadeUpScope = [Read, "write"];

    /// <summary>Functions open to anyone: health, the OpenAPI document and its reference page, and the catch-all 404.</summary>
    private static readonly string[] Open = ["Live", "Ready", "OpenApiDocument", "ApiReference", "ZRouteNotFound"];

    [Fact]
    public async Task Document_ListsTheScopeEveryOperationNeeds()
    {
        var document = (await ApiContract.ForAsync(fixture.Host.BaseAddress)).Document;
        var listed = (from path in document["paths"]!.AsObject()
                      from operation in path.Value!.AsObject()
                      let name = operation.Value!["operationId"]!.GetValue<string>()
                      where !Open.Contains(name)
                      select (name, scope: operation.Value["x-api-key-scope"]?.GetValue<string>())).ToList();

        listed.Count.ShouldBe(Needed.Count - 2, "every operation but the two catch-alls of the gateway");
        listed.Where(o => Needed[o.name] != o.scope).Select(o => $"{o.name}: listed {o.scope ?? "none"}, needs {Needed[o.name] ?? "none"}").ShouldBeEmpty();
    }

    [Fact]
    public async Task EveryRoute_RefusesAKeyWithoutItsScope_AndLetsAKeyWithItThrough()
    {
        var routes = IndexedHttpRoutes();
        routes.Select(r => r.Function).Order(StringComparer.Ordinal)
            .ShouldBe(Needed.Keys.Concat(Open).Order(StringComparer.Ordinal), "every HTTP function the app indexes is in the table");

        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var scope in new[] { Read, Runs, Gateway, Admin })
        {
            keys[scope] = await CreateKeyAsync(fixture.Alice, scope);
        }

        var wrong = new List<string>();
        foreach (var (function, method, path) in routes.Where(r => !Open.Contains(r.Function)))
        {
            var needed = Needed[function];
            foreach (var (scope, key) in keys)
            {
                var (status, body, challenge) = await SendAsync(key, method, path);
                var refused = status == HttpStatusCode.Forbidden && body.Contains("\"insufficient_scope\"", StringComparison.Ordinal);
                var mustRefuse = needed is not null && !(scope == needed || (needed == Read && scope == Runs));
                // Let through means past authentication and authorization: no 401, and no 403 but the one that says
                // no key may create keys.
                var stopped = status == HttpStatusCode.Unauthorized
                    || (status == HttpStatusCode.Forbidden && !body.Contains("\"api_key_not_allowed\"", StringComparison.Ordinal));
                if (refused != mustRefuse || (!mustRefuse && stopped))
                {
                    wrong.Add($"{method} {path} ({function}) with a '{scope}' key: {(int)status} {body}");
                }
                else if (refused && !challenge.Contains($"scope=\"{needed}\"", StringComparison.Ordinal))
                {
                    wrong.Add($"{method} {path} with a '{scope}' key: WWW-Authenticate '{challenge}' does not name the scope '{needed}'");
                }
            }
        }
        wrong.ShouldBeEmpty();
    }

    [Fact]
    public async Task AKey_ActsWithItsOwnersRolesAsTheyAreNow_AndAnOlderTokenCannotGiveThemBack()
    {
        // Tokens of alice issued in this order; later than any real one of hers, so the order is the test's.
        var now = DateTime.UtcNow;
        string AliceToken(int second, bool admin) => Sign(Claims("alice", roles: admin ? AdminRole : []),
            issuedAt: now.AddSeconds(second), notBefore: now.AddMinutes(-1));
        using var alice = new Api(fixture.Host.CreateClient(AliceToken(10, admin: true)));
        var created = await alice.PostAsync("/api/v1/api-keys", new { name = "ops", scopes = new[] { Read, Admin } });
        created.Status.ShouldBe(HttpStatusCode.Created, created.Body?.ToJsonString());
        using var viaKey = new Api(fixture.Host.CreateClient(created.Text("key")));
        (await viaKey.GetAsync("/api/v1/admin/usage")).Status.ShouldBe(HttpStatusCode.OK);
        (await viaKey.GetAsync("/api/v1/me")).Body!["roles"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldBe(AdminRole);

        // The role is taken away: alice's next token lacks it, and so does her key from its next request on.
        (await MeAsync(AliceToken(20, admin: false))).ShouldBe(HttpStatusCode.OK);
        var refused = await viaKey.GetAsync("/api/v1/admin/usage");
        refused.Status.ShouldBe(HttpStatusCode.Forbidden, refused.Body?.ToJsonString());
        refused.Code.ShouldBe("forbidden");
        (await viaKey.GetAsync("/api/v1/me")).Body!["roles"]!.AsArray().ShouldBeEmpty();

        // A token issued before that one, still valid, does not give it back, even on an instance that has not seen the
        // newer one (the database keeps the newest token's profile); a newer one does.
        await using (var other = await HostProcess.StartAsync(fixture.HostSettings))
        {
            using var older = new Api(other.CreateClient(AliceToken(15, admin: true)));
            (await older.GetAsync("/api/v1/me")).Status.ShouldBe(HttpStatusCode.OK);
            using var viaKeyThere = new Api(other.CreateClient(created.Text("key")));
            (await viaKeyThere.GetAsync("/api/v1/admin/usage")).Status.ShouldBe(HttpStatusCode.Forbidden);
        }
        (await viaKey.GetAsync("/api/v1/admin/usage")).Status.ShouldBe(HttpStatusCode.Forbidden);
        (await MeAsync(AliceToken(30, admin: true))).ShouldBe(HttpStatusCode.OK);
        (await viaKey.GetAsync("/api/v1/admin/usage")).Status.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task RevokingTheWordOwner_RevokesNothing_AndKeepsTheOwnersProfile()
    {
        (await fixture.Alice.DeleteAsync("/api/v1/api-keys/owner")).Status.ShouldBe(HttpStatusCode.NotFound);
        var key = await CreateKeyAsync(fixture.Alice, Runs);
        using var viaKey = new Api(fixture.Host.CreateClient(key));
        (await viaKey.DeleteAsync("/api/v1/api-keys/owner")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await viaKey.GetAsync("/api/v1/me")).Body!["roles"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldBe(AdminRole);
    }

    [Fact]
    public async Task KeyScopes_AreValidated_AndTheDefaultLeavesOutAdmin()
    {
        var unknown = await fixture.Alice.PostAsync("/api/v1/api-keys", new { name = "x", scopes = ReadAndAMadeUpScope });
        unknown.Status.ShouldBe(HttpStatusCode.BadRequest);
        unknown.Body!["detail"]!.GetValue<string>().ShouldBe("Unknown scope 'write'; a key's scopes are read, runs, gateway, admin.");

        var notAdmin = await fixture.Bob.PostAsync("/api/v1/api-keys", new { name = "x", scopes = new[] { Admin } });
        notAdmin.Status.ShouldBe(HttpStatusCode.BadRequest);
        notAdmin.Body!["detail"]!.GetValue<string>().ShouldContain("needs the Agents.Admin role");

        var byDefault = await fixture.Alice.PostAsync("/api/v1/api-keys", new { name = "default" });
        byDefault.Status.ShouldBe(HttpStatusCode.Created);
        byDefault.Body!["info"]!["scopes"]!.AsArray().Select(s => s!.GetValue<string>()).ShouldBe([Read, Runs, Gateway]);
        using var viaKey = new Api(fixture.Host.CreateClient(byDefault.Text("key")));
        var me = await viaKey.GetAsync("/api/v1/me");
        me.Body!["roles"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldBe(AdminRole); // alice's role, but ...
        var admin = await viaKey.GetAsync("/api/v1/admin/usage");
        admin.Status.ShouldBe(HttpStatusCode.Forbidden); // ... no admin route without the admin scope
        admin.Code.ShouldBe("insufficient_scope");
    }

    private static async Task<string> CreateKeyAsync(Api owner, params string[] scopes)
    {
        var created = await owner.PostAsync("/api/v1/api-keys", new { name = string.Join('+', scopes), scopes });
        created.Status.ShouldBe(HttpStatusCode.Created, created.Body?.ToJsonString());
        return created.Text("key");
    }

    private async Task<HttpStatusCode> MeAsync(string token)
    {
        using var api = new Api(fixture.Host.CreateClient(token));
        return (await api.GetAsync("/api/v1/me")).Status;
    }

    /// <summary>One request with the key and no body; a stream (SSE) that opens is not read.</summary>
    private async Task<(HttpStatusCode Status, string Body, string Challenge)> SendAsync(string key, HttpMethod method, string path)
    {
        using var http = fixture.Host.CreateClient();
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("api-key", key);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var body = response.Content.Headers.ContentType?.MediaType == "text/event-stream" ? "(a stream)" : await response.Content.ReadAsStringAsync();
        return (response.StatusCode, body, response.Headers.WwwAuthenticate.ToString());
    }

    /// <summary>Every HTTP function the build output declares (functions.metadata, what the host indexes), with a path to call it on.</summary>
    private static List<(string Function, HttpMethod Method, string Path)> IndexedHttpRoutes()
    {
        var metadata = JsonNode.Parse(File.ReadAllText(Path.Combine(HostProcess.AppDirectory, "functions.metadata")))!.AsArray();
        var routes = new List<(string, HttpMethod, string)>();
        foreach (var function in metadata)
        {
            foreach (var binding in function!["bindings"]!.AsArray())
            {
                if (binding!["type"]!.GetValue<string>() != "httpTrigger")
                {
                    continue;
                }
                var route = binding["route"]!.GetValue<string>()
                    .Replace("{*rest}", "embeddings", StringComparison.Ordinal)
                    .Replace("{*path}", "nowhere", StringComparison.Ordinal);
                route = System.Text.RegularExpressions.Regex.Replace(route, "\\{[^}]+\\}", "x_none");
                var method = binding["methods"]?.AsArray().FirstOrDefault()?.GetValue<string>() ?? "get";
                routes.Add((function["name"]!.GetValue<string>(), new HttpMethod(method.ToUpperInvariant()), "/api/" + route));
            }
        }
        return routes;
    }
}
