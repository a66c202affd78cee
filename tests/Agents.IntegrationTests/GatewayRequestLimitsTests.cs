using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Agents.IntegrationTests;

/// <summary>The gateway applies the same request limits as the runs API, answering in the surface's own error format.</summary>
public sealed class GatewayRequestLimitsTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    [Theory]
    [InlineData(300, 0, 10, "messages")]
    [InlineData(1, 100, 10, "tools")]
    [InlineData(1, 0, 40_000, "messages[0].content")]
    public async Task OpenAiSurface_OverALimit_Answers400NamingTheField(int messageCount, int toolCount, int contentChars, string param)
    {
        var body = new JsonObject
        {
            ["model"] = "sim-small",
            ["messages"] = new JsonArray(Enumerable.Range(0, messageCount)
                .Select(_ => (JsonNode)new JsonObject { ["role"] = "user", ["content"] = new string('x', contentChars) }).ToArray()),
        };
        if (toolCount > 0)
        {
            body["tools"] = new JsonArray(Enumerable.Range(0, toolCount).Select(i => (JsonNode)new JsonObject
            {
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = $"tool{i}", ["parameters"] = new JsonObject { ["type"] = "object" } },
            }).ToArray());
        }
        using var response = await fixture.Alice.Http.PostAsync(new Uri("/api/openai/v1/chat/completions", UriKind.Relative), JsonContent.Create(body));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        error["param"]!.GetValue<string>().ShouldBe(param);
        error["message"]!.GetValue<string>().ShouldContain("at most");
    }
}
