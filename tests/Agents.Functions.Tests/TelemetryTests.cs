using System.Diagnostics;
using Agents.Application.Telemetry;
using Agents.Domain.Agents;
using Agents.Domain.Runs;
using Agents.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using static Agents.Functions.Tests.Infrastructure.Script;

namespace Agents.Functions.Tests;

/// <summary>
/// The spans and metrics of a run, through OpenTelemetry's in-memory exporter: the real orchestrator records its run,
/// tool-call and approval-wait spans in the trace of the request that started the run (carried in its RunRef), once
/// each however often the orchestration replays.
/// </summary>
public sealed class TelemetryTests(OrchestrationHost host) : IClassFixture<OrchestrationHost>
{
    [Fact]
    public async Task ApprovedToolCall_RecordsRunToolAndApprovalSpans_InTheRequestsTrace_AndTheirMetrics()
    {
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        var services = new ServiceCollection();
        services.AddOpenTelemetry()
            .WithTracing(t => t.AddSource(AgentsTelemetry.Sources).AddInMemoryExporter(spans))
            .WithMetrics(m => m.AddMeter(AgentsTelemetry.Sources).AddInMemoryExporter(metrics));
        await using var telemetry = services.BuildServiceProvider();
        var tracer = telemetry.GetRequiredService<TracerProvider>();
        var meters = telemetry.GetRequiredService<MeterProvider>();

        // An agent of this test only, so that the metrics of other tests' runs (other classes run in parallel) do not count.
        var agent = Agent(new ToolGrant("pay", ApprovalMode.Always)) with { Id = $"agent-{Guid.NewGuid():N}", Name = "Payer" };
        var run = host.NewRun(agent);
        run.Model = Turns(CallTools(("call_1", "pay")), Answer("Paid."));
        // The request's span, sampled (as the ASP.NET Core instrumentation's is): its children are sampled by parent.
        using (var request = new Activity("POST /api/v1/threads/{threadId}/runs") { ActivityTraceFlags = ActivityTraceFlags.Recorded }.Start())
        {
            run.Ref = run.Ref with { TraceParent = request.Id, CorrelationId = "corr-1" };
        }
        var requestTrace = ActivityContext.Parse(run.Ref.TraceParent!, null).TraceId;

        await host.StartAsync(run);
        (await run.WaitUntilAsync(r => r.Updates.Any(u => u.Status == RunStatus.RequiresAction), OrchestrationHost.Timeout)).ShouldBeTrue("the run never parked");
        await host.RaiseApprovalAsync(run, "call_1", new ApprovalDecision(ApprovalOutcome.Approved, DecidedBy: "bob"));
        (await host.WaitAsync(run)).ReadOutputAs<RunStatus>().ShouldBe(RunStatus.Completed);
        tracer.ForceFlush().ShouldBeTrue();
        meters.ForceFlush().ShouldBeTrue();

        var ours = spans.Where(s => s.GetTagItem(AgentsTelemetry.RunId) as string == run.Ref.RunId).ToList();
        ours.Select(s => s.DisplayName).Order().ShouldBe(["agents.approval.wait pay", "execute_tool pay", "invoke_agent Payer"]); // once each: replays record nothing
        ours.ShouldAllBe(s => s.TraceId == requestTrace);
        ours.ShouldAllBe(s => s.GetTagItem(AgentsTelemetry.ConversationId) as string == ThreadId && s.GetTagItem(AgentsTelemetry.CorrelationId) as string == "corr-1");

        var invoke = ours.Single(s => s.DisplayName == "invoke_agent Payer");
        invoke.GetTagItem(AgentsTelemetry.OperationName).ShouldBe("invoke_agent");
        invoke.GetTagItem(AgentsTelemetry.AgentId).ShouldBe(agent.Id);
        invoke.GetTagItem(AgentsTelemetry.AgentName).ShouldBe("Payer");
        invoke.GetTagItem(AgentsTelemetry.RequestModel).ShouldBe(ModelName);
        invoke.GetTagItem(AgentsTelemetry.RunStatus).ShouldBe("completed");
        var tool = ours.Single(s => s.DisplayName == "execute_tool pay");
        tool.GetTagItem(AgentsTelemetry.OperationName).ShouldBe("execute_tool");
        tool.GetTagItem(AgentsTelemetry.ToolName).ShouldBe("pay");
        tool.GetTagItem(AgentsTelemetry.ToolCallId).ShouldBe("call_1");
        var wait = ours.Single(s => s.DisplayName == "agents.approval.wait pay");
        wait.GetTagItem(AgentsTelemetry.ApprovalOutcome).ShouldBe("approved");
        // The run covers its steps: the wait came first, then the tool, both inside the run's time.
        wait.StartTimeUtc.ShouldBeGreaterThanOrEqualTo(invoke.StartTimeUtc);
        tool.StartTimeUtc.ShouldBeGreaterThanOrEqualTo(wait.StartTimeUtc + wait.Duration - TimeSpan.FromMilliseconds(1));
        (tool.StartTimeUtc + tool.Duration).ShouldBeLessThanOrEqualTo(invoke.StartTimeUtc + invoke.Duration);

        Sum(metrics, "agents.runs.completed", agent.Id, (AgentsTelemetry.RunStatus, "completed")).ShouldBe(1);
        Sum(metrics, "agents.approval.waits", agent.Id, (AgentsTelemetry.ApprovalOutcome, "approved")).ShouldBe(1);
        Count(metrics, "agents.run.duration", agent.Id).ShouldBe(1);
        Count(metrics, "agents.approval.wait.duration", agent.Id).ShouldBe(1);
    }

    private static IEnumerable<MetricPoint> Points(List<Metric> metrics, string name, string agentId, (string Key, string Value)? tag = null)
    {
        // The in-memory exporter keeps every export; with cumulative temporality the last one holds the totals.
        var metric = metrics.LastOrDefault(m => m.Name == name).ShouldNotBeNull($"no metric {name}");
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            var tags = new Dictionary<string, object?>();
            foreach (var t in point.Tags)
            {
                tags[t.Key] = t.Value;
            }
            if (tags.GetValueOrDefault(AgentsTelemetry.AgentId) as string == agentId && (tag is not { } want || tags.GetValueOrDefault(want.Key) as string == want.Value))
            {
                yield return point;
            }
        }
    }

    private static long Sum(List<Metric> metrics, string name, string agentId, (string, string) tag) =>
        Points(metrics, name, agentId, tag).Sum(p => p.GetSumLong());

    private static long Count(List<Metric> metrics, string name, string agentId) =>
        Points(metrics, name, agentId).Sum(p => p.GetHistogramCount());
}
