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
    [Theory]
    [InlineData("/api/openai/v1/chat/completions")]
    [InlineData("/api/anthropic/v1/messages")]
    public async Task ChunkedBody_OverTheLimit_Answers413_InTheSurfacesFormat(string path)
    {
        var body = new JsonObject
        {
            ["model"] = "sim-small",
            ["max_tokens"] = 10,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = new string('x', 3_000_000) }),
        };
        using var content = JsonContent.Create(body);
        content.Headers.ContentLength.ShouldBeNull(); // sent chunked, as HTTP/2 clients send every body
        using var response = await fixture.Alice.Http.PostAsync(new Uri(path, UriKind.Relative), content);

        response.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        if (path.Contains("openai", StringComparison.Ordinal))
        {
            error["error"]!["code"]!.GetValue<string>().ShouldBe("body_too_large");
            error["error"]!["message"]!.GetValue<string>().ShouldContain("at most 1048576 bytes");
        }
        else
        {
            error["type"]!.GetValue<string>().ShouldBe("error");
            error["error"]!["type"]!.GetValue<string>().ShouldBe("request_too_large");
            error["error"]!["problem_code"]!.GetValue<string>().ShouldBe("body_too_large");
        }
    }

    [Theory]
    [InlineData("/api/openai/v1/chat/completions")]
    [InlineData("/api/anthropic/v1/messages")]
    public async Task DeclaredLength_OverTheLimit_Answers413_InTheSurfacesFormat(string path)
    {
        // Refused before the body is read; with Expect: 100-continue the client never sends it.
        using var content = new ByteArrayContent(new byte[(1024 * 1024) + 1]);
        content.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.ExpectContinue = true;
        using var response = await fixture.Alice.Http.SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        (path.Contains("openai", StringComparison.Ordinal) ? error["error"]!["code"] : error["error"]!["problem_code"])!
            .GetValue<string>().ShouldBe("body_too_large");
    }

    [Theory]
    [InlineData("[null]", "messages[0]")]
    [InlineData("[42]", "messages[0]")]
    [InlineData("[{\"content\":\"hi\"}]", "messages[0].role")]
    [InlineData("[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"wizard\",\"content\":\"hi\"}]", "messages[1].role")]
    [InlineData("[{\"role\":\"user\",\"content\":{\"text\":\"hi\"}}]", "messages[0].content")]
    public async Task OpenAiSurface_MalformedMessage_Answers400_BeforeTheModelIsCalled(string messages, string param)
    {
        using var content = new StringContent($"{{\"model\":\"sim-small\",\"messages\":{messages}}}", System.Text.Encoding.UTF8, "application/json");
        using var response = await fixture.Alice.Http.PostAsync(new Uri("/api/openai/v1/chat/completions", UriKind.Relative), content);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        error["param"]!.GetValue<string>().ShouldBe(param);
        error["type"]!.GetValue<string>().ShouldBe("invalid_request_error");
    }

    [Fact]
    public async Task AnthropicSurface_NullMessage_Answers400_InItsFormat()
    {
        using var content = new StringContent("{\"model\":\"sim-small\",\"max_tokens\":10,\"messages\":[null]}", System.Text.Encoding.UTF8, "application/json");
        using var response = await fixture.Alice.Http.PostAsync(new Uri("/api/anthropic/v1/messages", UriKind.Relative), content);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        error["type"]!.GetValue<string>().ShouldBe("error");
        error["error"]!["type"]!.GetValue<string>().ShouldBe("invalid_request_error");
        error["error"]!["message"]!.GetValue<string>().ShouldContain("messages.0");
    }
}
