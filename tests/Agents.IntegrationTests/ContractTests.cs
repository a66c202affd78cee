using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Agents.IntegrationTests;

/// <summary>
/// The OpenAPI document the host serves: it lists exactly the HTTP functions the host indexes (functions.metadata of
/// the build output it runs, catch-alls aside), it is served openly with an API reference page on it, and the check
/// every other test's responses go through (<see cref="ApiContract"/>) refuses a response that breaks it.
/// </summary>
public sealed class ContractTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    /// <summary>The catch-alls: any other path answers their 404, so they are not operations.</summary>
    private static readonly string[] CatchAllFunctions = ["ZRouteNotFound", "GatewayOpenAiRouteNotSupported", "GatewayAnthropicRouteNotSupported"];

    [Fact]
    public async Task Document_ListsEveryHttpFunctionTheHostIndexes_AndNothingElse()
    {
        var served = (await ApiContract.ForAsync(fixture.Host.BaseAddress)).Document;
        var documented = (from path in served["paths"]!.AsObject()
                          from operation in path.Value!.AsObject()
                          select $"{operation.Key.ToUpperInvariant()} {path.Key} {operation.Value!["operationId"]}").Order().ToList();

        var metadata = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(HostProcess.AppDirectory, "functions.metadata")))!.AsArray();
        var indexed = (from function in metadata
                       let name = function!["name"]!.GetValue<string>()
                       from binding in function["bindings"]!.AsArray()
                       where binding!["type"]!.GetValue<string>() == "httpTrigger" && !CatchAllFunctions.Contains(name)
                       from method in binding["methods"]!.AsArray()
                       select $"{method!.GetValue<string>().ToUpperInvariant()} /api/{binding["route"]!.GetValue<string>()} {name}").Order().ToList();

        documented.ShouldBe(indexed);
        indexed.Count.ShouldBeGreaterThan(35);
    }

    [Fact]
    public async Task Document_AndReferencePage_AreServedWithoutCredentials()
    {
        using var http = new HttpClient { BaseAddress = fixture.Host.BaseAddress };

        using var document = await http.GetAsync(new Uri("/api/openapi/v1.json", UriKind.Relative));
        document.StatusCode.ShouldBe(HttpStatusCode.OK);
        document.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        JsonNode.Parse(await document.Content.ReadAsStringAsync())!["openapi"]!.GetValue<string>().ShouldStartWith("3.1");

        var page = await fixture.Anonymous.Http.GetAsync(new Uri("/api/docs", UriKind.Relative));
        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await page.Content.ReadAsStringAsync()).ShouldContain("data-url=\"/api/openapi/v1.json\"");
    }

    [Fact]
    public async Task TheCheck_RefusesAResponseThatBreaksTheDocument()
    {
        var contract = await ApiContract.ForAsync(fixture.Host.BaseAddress);
        var thread = await fixture.Alice.PostAsync("/api/v1/threads", new { title = "contract" });
        var id = thread.Text("id");
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(fixture.Host.BaseAddress, $"/api/v1/threads/{id}"));

        // What the host really answered passes; the same answer without a required member, with a member the
        // document does not have, with an undeclared status or media type, does not.
        var real = thread.Body!.AsObject();
        await contract.CheckAsync(request, Response(HttpStatusCode.OK, real.ToJsonString()));
        var missing = (JsonObject)real.DeepClone();
        missing.Remove("ownerId");
        var extra = (JsonObject)real.DeepClone();
        extra["surprise"] = 1;

        (await Should.ThrowAsync<ContractViolationException>(() => contract.CheckAsync(request, Response(HttpStatusCode.OK, missing.ToJsonString())))).Message.ShouldContain("ownerId");
        await Should.ThrowAsync<ContractViolationException>(() => contract.CheckAsync(request, Response(HttpStatusCode.OK, extra.ToJsonString())));
        await Should.ThrowAsync<ContractViolationException>(() => contract.CheckAsync(request, Response(HttpStatusCode.Conflict, real.ToJsonString())));
        await Should.ThrowAsync<ContractViolationException>(() => contract.CheckAsync(request, Response(HttpStatusCode.OK, real.ToJsonString(), "text/plain")));
    }

    private static HttpResponseMessage Response(HttpStatusCode status, string body, string mediaType = "application/json") =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, mediaType) };
}
