using System.Net;
using System.Net.Http.Json;

namespace Agents.IntegrationTests;

/// <summary>A host that exports OpenTelemetry over OTLP/HTTP to the test's receiver, exporting often.</summary>
public sealed class TelemetryFixture : HostFixture
{
    public OtlpReceiver Receiver { get; } = new();

    protected override IReadOnlyDictionary<string, string>? Settings => new Dictionary<string, string>
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Receiver.Endpoint.ToString().TrimEnd('/'),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Receiver.Dispose();
    }
}

/// <summary>
/// Telemetry of a real chat turn through the HTTP surface: the worker's spans of the request, the run's orchestration
/// and its activities share one trace id, the one of the request that started the run, and the metrics are exported.
/// </summary>
public sealed class TelemetryTests(TelemetryFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<TelemetryFixture>
{
    [Fact]
    public async Task ChatTurnWithATool_IsOneTrace_FromTheRequestThroughTheOrchestration_AndItsMetricsAreExported()
    {
        var thread = await fixture.Alice.CreateThreadAsync();
        var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        using var post = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/threads/{thread}/runs?wait=true")
        {
            Content = JsonContent.Create(new { message = "compute [[sim steps=1 tool=calculator args='{\"expression\":\"6*7\"}' reply=\"42\"]]" }),
        };
        post.Headers.Add("traceparent", $"00-{traceId}-{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..8])}-01");
        using var response = await fixture.Alice.Http.SendAsync(post);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var runId = (await response.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonNode>())!["id"]!.GetValue<string>();

        // The correlation id is the request's trace id when the client sends none: the one it sent, carried by the host.
        response.Headers.GetValues("X-Correlation-Id").Single().ShouldBe(traceId);

        string[] expected = ["invoke_agent", "execute_tool calculator", "agents.run.step CallModel", "agents.run.step CallTool"];
        var deadline = DateTime.UtcNow.AddSeconds(30);
        List<ReceivedSpan> run;
        do
        {
            await Task.Delay(300);
            run = fixture.Receiver.Spans.Where(s => s.Attributes.GetValueOrDefault("agents.run.id") == runId).ToList();
        }
        while (DateTime.UtcNow < deadline && !expected.All(name => run.Any(s => s.Name.StartsWith(name, StringComparison.Ordinal))));

        var summary = string.Join("\n", fixture.Receiver.Spans.Where(s => s.TraceId == traceId || s.Attributes.GetValueOrDefault("agents.run.id") == runId)
            .Select(s => $"{s.Service} {s.TraceId} {s.SpanId}<-{s.ParentSpanId} {s.Name}"));
        output.WriteLine(summary);
        foreach (var name in expected)
        {
            run.ShouldContain(s => s.Name.StartsWith(name, StringComparison.Ordinal), $"no span {name}:\n{summary}");
        }
        run.ShouldAllBe(s => s.TraceId == traceId, summary);
        var invoke = run.Single(s => s.Name.StartsWith("invoke_agent", StringComparison.Ordinal));
        invoke.Attributes["gen_ai.operation.name"].ShouldBe("invoke_agent");
        invoke.Attributes["gen_ai.agent.id"].ShouldBe("default");
        invoke.Attributes["agents.run.status"].ShouldBe("completed");
        invoke.Attributes["agents.correlation_id"].ShouldBe(traceId);
        run.Single(s => s.Name == "execute_tool calculator").Attributes["gen_ai.tool.name"].ShouldBe("calculator");
        // Each model call is a GenAI client span (Microsoft.Extensions.AI's middleware) inside its CallModel step.
        var modelSteps = run.Where(s => s.Name == "agents.run.step CallModel").Select(s => s.SpanId).ToHashSet();
        var chats = fixture.Receiver.Spans.Where(s => s.TraceId == traceId && s.Name == "chat sim-small").ToList();
        chats.Count.ShouldBe(2, summary); // the tool call's turn and the answer's
        chats.ShouldAllBe(s => modelSteps.Contains(s.ParentSpanId), summary);
        chats.ShouldAllBe(s => s.Attributes.GetValueOrDefault("gen_ai.operation.name") == "chat", summary);
        // The request's own span in the worker (ASP.NET Core instrumentation) is in that trace too.
        fixture.Receiver.Spans.ShouldContain(s => s.TraceId == traceId && s.Attributes.GetValueOrDefault("url.path") == $"/api/v1/threads/{thread}/runs", summary);

        string[] metrics = ["agents.runs.started", "agents.runs.completed", "agents.run.duration", "agents.usage.tokens", "http.server.request.duration",
            "gen_ai.client.token.usage", "gen_ai.client.operation.duration"];
        deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline && !metrics.All(fixture.Receiver.MetricNames.Contains))
        {
            await Task.Delay(300);
        }
        metrics.Except(fixture.Receiver.MetricNames).ShouldBeEmpty($"exported: {string.Join(", ", fixture.Receiver.MetricNames.Order())}");
    }
}
