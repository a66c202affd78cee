using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Agents.IntegrationTests;

/// <summary>
/// The OpenAI- and Anthropic-compatible gateway through a real host and the model simulator: forwarding, streaming,
/// translation, errors in each surface's format, and usage recorded once (also for streams cut short).
/// </summary>
public sealed class GatewayTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private const string OpenAi = "/api/openai/v1/chat/completions";
    private const string Anthropic = "/api/anthropic/v1/messages";

    private Api Alice => fixture.Alice;

    [Fact]
    public async Task OpenAi_NotStreamed_ForwardsUnknownFields_AndRecordsUsageOnce()
    {
        var before = await GatewayUsageAsync();
        var response = await Alice.PostAsync(OpenAi, new
        {
            model = "sim-small",
            messages = new[] { new { role = "user", content = "hi [[sim reply=\"forty two\"]]" } },
            seed = 7, // not modelled by the gateway: passes through
        });

        response.Status.ShouldBe(HttpStatusCode.OK, response.Body?.ToJsonString());
        response.Body!["choices"]![0]!["message"]!["content"]!.GetValue<string>().ShouldBe("forty two");
        response.Raw.Headers.GetValues("x-request-id").Single().ShouldStartWith("gw_");
        var after = await GatewayUsageAsync();
        (after.Calls - before.Calls).ShouldBe(1);
        (after.Output - before.Output).ShouldBe(response.Body!["usage"]!["completion_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task OpenAi_Streamed_PassesChunks_AndForwardsUsageOnlyWhenAsked()
    {
        var plain = await StreamAsync(OpenAi, new { model = "sim-small", stream = true, messages = new[] { new { role = "user", content = "a [[sim tokens=5]]" } } });
        var withUsage = await StreamAsync(OpenAi, new
        {
            model = "sim-small",
            stream = true,
            stream_options = new { include_usage = true },
            messages = new[] { new { role = "user", content = "b [[sim tokens=5]]" } },
        });

        plain.Last().ShouldBe("[DONE]");
        plain.Count(d => d.Contains("\"content\":", StringComparison.Ordinal) && !d.Contains("\"content\":\"\"", StringComparison.Ordinal)).ShouldBe(5);
        plain.ShouldNotContain(d => d.Contains("\"prompt_tokens\"", StringComparison.Ordinal));
        withUsage.ShouldContain(d => d.Contains("\"choices\":[]", StringComparison.Ordinal) && d.Contains("\"completion_tokens\":5", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OpenAi_StreamInterruptedByTheClient_IsCountedOnce_FromWhatWasStreamed()
    {
        var before = await GatewayUsageAsync();
        using (var request = Post(OpenAi, new { model = "sim-small", stream = true, messages = new[] { new { role = "user", content = "long [[sim tokens=400 tps=40]]" } } }))
        using (var response = await Alice.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            var contentChunks = 0;
            while (contentChunks < 5 && await reader.ReadLineAsync() is { } line)
            {
                contentChunks += line.Contains("\"content\":\"", StringComparison.Ordinal) && !line.Contains("\"content\":\"\"", StringComparison.Ordinal) ? 1 : 0;
            }
        } // disposing the response closes the connection mid-stream

        var after = await WaitForAsync(GatewayUsageAsync, u => u.Calls > before.Calls);
        (after.Calls - before.Calls).ShouldBe(1);
        (after.Output - before.Output).ShouldBeInRange(1, 300); // estimated from what was streamed (4 characters a token), not the 400 asked for
        var recent = await WaitForAsync(
            () => Alice.GetAsync("/api/v1/admin/activity/recent?type=gateway.request&limit=50"),
            r => r.Body!["data"]!.AsArray().Any(e => e!["partial"]?.GetValue<bool>() == true));
        recent.Body!["data"]!.AsArray().ShouldContain(e => e!["partial"]!.GetValue<bool>() && e["stream"]!.GetValue<bool>());
        await Task.Delay(500);
        (await GatewayUsageAsync()).Calls.ShouldBe(after.Calls); // nothing more was recorded later
    }

    [Fact]
    public async Task Anthropic_Messages_TranslatesToolUse_AndBack()
    {
        var response = await Alice.PostAsync(Anthropic, new
        {
            model = "sim-small",
            max_tokens = 100,
            system = "You are terse.",
            tools = new[] { new { name = "get_weather", description = "Weather", input_schema = new { type = "object", properties = new { city = new { type = "string" } } } } },
            messages = new[] { new { role = "user", content = "weather? [[sim tool=get_weather args='{\"city\":\"Paris\"}']]" } },
        });

        response.Status.ShouldBe(HttpStatusCode.OK, response.Body?.ToJsonString());
        var message = response.Body!;
        message["type"]!.GetValue<string>().ShouldBe("message");
        message["stop_reason"]!.GetValue<string>().ShouldBe("tool_use");
        var toolUse = message["content"]!.AsArray().Single(b => b!["type"]!.GetValue<string>() == "tool_use")!;
        toolUse["name"]!.GetValue<string>().ShouldBe("get_weather");
        toolUse["input"]!["city"]!.GetValue<string>().ShouldBe("Paris");
        message["usage"]!["output_tokens"]!.GetValue<int>().ShouldBe(10);

        // The tool result goes back as a tool_result block; the answer is text.
        var second = await Alice.PostAsync(Anthropic, new
        {
            model = "sim-small",
            max_tokens = 100,
            messages = new object[]
            {
                new { role = "user", content = "weather? [[sim tool=get_weather args='{\"city\":\"Paris\"}']]" },
                new { role = "assistant", content = new object[] { new { type = "tool_use", id = toolUse["id"]!.GetValue<string>(), name = "get_weather", input = new { city = "Paris" } } } },
                new { role = "user", content = new object[] { new { type = "tool_result", tool_use_id = toolUse["id"]!.GetValue<string>(), content = "sunny" }, new { type = "text", text = "and so? [[sim reply=\"It is sunny.\"]]" } } },
            },
        });
        second.Status.ShouldBe(HttpStatusCode.OK, second.Body?.ToJsonString());
        second.Body!["content"]![0]!["text"]!.GetValue<string>().ShouldBe("It is sunny.");
        second.Body!["stop_reason"]!.GetValue<string>().ShouldBe("end_turn");
    }

    [Fact]
    public async Task Anthropic_Streamed_SendsTheEventSequence_WithUsage()
    {
        var events = await AnthropicEventsAsync(new
        {
            model = "sim-small",
            max_tokens = 100,
            stream = true,
            messages = new[] { new { role = "user", content = "hi [[sim reply=\"one two three\"]]" } },
        });

        events.Select(e => e.Type).Distinct().ShouldBe(["message_start", "ping", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"]);
        string.Concat(events.Where(e => e.Type == "content_block_delta").Select(e => e.Json["delta"]!["text"]!.GetValue<string>())).ShouldBe("one two three");
        var delta = events.Single(e => e.Type == "message_delta").Json;
        delta["delta"]!["stop_reason"]!.GetValue<string>().ShouldBe("end_turn");
        delta["usage"]!["output_tokens"]!.GetValue<int>().ShouldBe(3);
    }

    [Fact]
    public async Task Errors_AreInEachSurfacesFormat_WithOurProblemCode()
    {
        var anonymous = await fixture.Anonymous.PostAsync(OpenAi, new { model = "sim-small", messages = new[] { new { role = "user", content = "hi" } } });
        anonymous.Status.ShouldBe(HttpStatusCode.Unauthorized);
        anonymous.Body!["error"]!["code"]!.GetValue<string>().ShouldBe("unauthenticated");
        anonymous.Body!["error"]!["type"]!.GetValue<string>().ShouldBe("authentication_error");

        var anthropicAnonymous = await fixture.Anonymous.PostAsync(Anthropic, new { model = "sim-small", max_tokens = 10, messages = new[] { new { role = "user", content = "hi" } } });
        anthropicAnonymous.Status.ShouldBe(HttpStatusCode.Unauthorized);
        anthropicAnonymous.Body!["type"]!.GetValue<string>().ShouldBe("error");
        anthropicAnonymous.Body!["error"]!["type"]!.GetValue<string>().ShouldBe("authentication_error");

        var noMaxTokens = await Alice.PostAsync(Anthropic, new { model = "sim-small", messages = new[] { new { role = "user", content = "hi" } } });
        noMaxTokens.Status.ShouldBe(HttpStatusCode.BadRequest);
        noMaxTokens.Body!["error"]!["type"]!.GetValue<string>().ShouldBe("invalid_request_error");
        noMaxTokens.Body!["error"]!["problem_code"]!.GetValue<string>().ShouldBe("invalid_request");

        var rateLimited = await Alice.PostAsync(OpenAi, new { model = "sim-small", messages = new[] { new { role = "user", content = "x [[sim error=429 retry_after=3]]" } } });
        rateLimited.Status.ShouldBe(HttpStatusCode.TooManyRequests);
        rateLimited.Body!["error"]!["code"]!.GetValue<string>().ShouldBe("model_rate_limited");
        rateLimited.Raw.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(3));

        var upstreamFailure = await Alice.PostAsync(Anthropic, new { model = "sim-small", max_tokens = 10, messages = new[] { new { role = "user", content = "x [[sim error=500]]" } } });
        upstreamFailure.Status.ShouldBe(HttpStatusCode.BadGateway);
        upstreamFailure.Body!["error"]!["type"]!.GetValue<string>().ShouldBe("api_error");
        upstreamFailure.Body!["error"]!["problem_code"]!.GetValue<string>().ShouldBe("model_error");
    }

    [Fact]
    public async Task OtherRoutes_AreNotSupported_InTheSurfacesFormat_AfterAuthentication()
    {
        var anonymous = await fixture.Anonymous.PostAsync("/api/openai/v1/embeddings", new { model = "sim-small", input = "hi" });
        anonymous.Status.ShouldBe(HttpStatusCode.Unauthorized);
        anonymous.Body!["error"]!["type"]!.GetValue<string>().ShouldBe("authentication_error");

        var embeddings = await Alice.PostAsync("/api/openai/v1/embeddings", new { model = "sim-small", input = "hi" });
        embeddings.Status.ShouldBe(HttpStatusCode.NotFound);
        embeddings.Body!["error"]!["code"]!.GetValue<string>().ShouldBe("route_not_supported");
        embeddings.Body!["error"]!["type"]!.GetValue<string>().ShouldBe("not_found_error");
        embeddings.Raw.Headers.GetValues("x-request-id").Single().ShouldStartWith("gw_");

        var batches = await Alice.GetAsync("/api/anthropic/v1/messages/batches");
        batches.Status.ShouldBe(HttpStatusCode.NotFound);
        batches.Body!["error"]!["problem_code"]!.GetValue<string>().ShouldBe("route_not_supported");

        var wrongMethod = await Alice.GetAsync(OpenAi);
        wrongMethod.Status.ShouldBe(HttpStatusCode.NotFound);
        wrongMethod.Body!["error"]!["code"]!.GetValue<string>().ShouldBe("route_not_supported");
    }

    [Fact]
    public async Task Anthropic_AcceptsOurApiKey_InXApiKey()
    {
        var created = await Alice.PostAsync("/api/v1/api-keys", new { name = "anthropic-sdk" });
        created.Status.ShouldBe(HttpStatusCode.Created, created.Body?.ToJsonString());
        using var http = fixture.Host.CreateClient();
        http.DefaultRequestHeaders.Add("x-api-key", created.Text("key"));
        var api = new Api(http);

        var response = await api.PostAsync(Anthropic, new { model = "sim-small", max_tokens = 10, messages = new[] { new { role = "user", content = "hi" } } });
        var models = await api.GetAsync("/api/anthropic/v1/models");

        response.Status.ShouldBe(HttpStatusCode.OK, response.Body?.ToJsonString());
        models.Body!["data"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()).ShouldContain("sim-small");
    }

    private async Task<(int Calls, long Output)> GatewayUsageAsync()
    {
        var usage = await Alice.GetAsync("/api/v1/usage?groupBy=agent");
        usage.Status.ShouldBe(HttpStatusCode.OK);
        var gateway = usage.Body!["groups"]!.AsArray().SingleOrDefault(g => g!["key"]!.GetValue<string>() == "(gateway)");
        return gateway is null ? (0, 0) : (gateway["calls"]!.GetValue<int>(), gateway["outputTokens"]!.GetValue<long>());
    }

    private static HttpRequestMessage Post(string path, object body) => new(HttpMethod.Post, path) { Content = JsonContent.Create(body) };

    /// <summary>The data lines of an OpenAI stream.</summary>
    private async Task<List<string>> StreamAsync(string path, object body)
    {
        using var request = Post(path, body);
        using var response = await Alice.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        var text = await response.Content.ReadAsStringAsync();
        return text.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => l[6..]).ToList();
    }

    private async Task<List<(string Type, JsonNode Json)>> AnthropicEventsAsync(object body)
    {
        using var request = Post(Anthropic, body);
        using var response = await Alice.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var events = new List<(string, JsonNode)>();
        await foreach (var e in Sse.ReadAsync(await response.Content.ReadAsStreamAsync()))
        {
            if (e.Type is not null)
            {
                events.Add((e.Type, e.Json));
            }
        }
        return events;
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> until, int seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        var last = await read();
        while (!until(last) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            last = await read();
        }
        return last;
    }
}
