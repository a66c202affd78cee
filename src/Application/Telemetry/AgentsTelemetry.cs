using System.Diagnostics;
using System.Diagnostics.Metrics;
using Agents.Application.Runs;
using Agents.Domain.Usage;

namespace Agents.Application.Telemetry;

/// <summary>
/// The application's own spans and metrics: one <see cref="ActivitySource"/> and one <see cref="Meter"/> named
/// <see cref="Name"/>, exported with everything else named <c>Agents.*</c> (src/Functions/FunctionsTelemetry.cs), and
/// every instrument in this file. Names and attributes follow the OpenTelemetry GenAI semantic conventions
/// (<c>invoke_agent {agent}</c>, <c>execute_tool {tool}</c>, <c>gen_ai.*</c> attributes) where they define one; the
/// rest are <c>agents.*</c>. Model-call spans and the <c>gen_ai.client.*</c> metrics are Microsoft.Extensions.AI's
/// (source and meter <c>Agents.Models</c>). Names are listed in docs/observability.md.
/// </summary>
public static class AgentsTelemetry
{
    public const string Name = "Agents";

    /// <summary>What the exporters subscribe to: ours and every <c>Agents.</c>-prefixed source and meter.</summary>
    public static readonly string[] Sources = [Name, Name + ".*"];

    public static readonly ActivitySource Source = new(Name);

    public static readonly Meter Meter = new(Name);

    // Attribute names: the GenAI conventions' where they have one.
    public const string OperationName = "gen_ai.operation.name";
    public const string ProviderName = "gen_ai.provider.name";
    public const string AgentId = "gen_ai.agent.id";
    public const string AgentName = "gen_ai.agent.name";
    public const string ConversationId = "gen_ai.conversation.id";
    public const string RequestModel = "gen_ai.request.model";
    public const string ResponseModel = "gen_ai.response.model";
    public const string TokenType = "gen_ai.token.type";
    public const string ToolName = "gen_ai.tool.name";
    public const string ToolCallId = "gen_ai.tool.call.id";
    public const string ToolType = "gen_ai.tool.type";
    public const string ErrorType = "error.type";
    public const string RunId = "agents.run.id";
    public const string RunStatus = "agents.run.status";
    public const string CorrelationId = "agents.correlation_id";
    public const string ApprovalOutcome = "agents.approval.outcome";
    public const string Surface = "agents.gateway.surface";
    public const string StatusCode = "http.response.status_code";
    public const string Policy = "agents.rate_limit.policy";
    public const string Tier = "agents.tier";
    public const string BudgetScope = "agents.budget.scope";

    /// <summary>The baggage item that carries the request's correlation id to the work it starts.</summary>
    public const string CorrelationBaggage = "agents.correlation_id";

    private static readonly Counter<long> RunsStarted = Meter.CreateCounter<long>("agents.runs.started", "{run}", "Runs accepted and scheduled.");
    private static readonly Counter<long> RunsEnded = Meter.CreateCounter<long>("agents.runs.completed", "{run}", "Runs that ended, by status.");
    private static readonly Histogram<double> RunDuration = Meter.CreateHistogram<double>("agents.run.duration", "s", "From a run's start to its end, as its orchestration saw it.");
    private static readonly Counter<long> Tokens = Meter.CreateCounter<long>("agents.usage.tokens", "{token}", "Tokens used by model calls, by type, model and agent.");
    private static readonly Counter<long> ApprovalWaits = Meter.CreateCounter<long>("agents.approval.waits", "{wait}", "Tool calls that waited for a person's decision, by outcome.");
    private static readonly Histogram<double> ApprovalWaitDuration = Meter.CreateHistogram<double>("agents.approval.wait.duration", "s", "How long a parked tool call waited for its decision.");
    private static readonly Counter<long> GatewayRequests = Meter.CreateCounter<long>("agents.gateway.requests", "{request}", "Gateway requests, by surface, model and status.");
    private static readonly Histogram<double> GatewayDuration = Meter.CreateHistogram<double>("agents.gateway.request.duration", "s", "Gateway requests, from arrival to the end of the answer.");
    private static readonly Counter<long> RateLimitRefusals = Meter.CreateCounter<long>("agents.rate_limit.refusals", "{request}", "Requests refused by the rate limiter (429 rate_limited).");
    private static readonly Counter<long> BudgetRefusals = Meter.CreateCounter<long>("agents.budget.refusals", "{call}", "Model calls refused by a token budget (429 token_budget_exceeded).");

    /// <summary>The correlation id of the current request (set by ProblemMiddleware as baggage), or null outside one.</summary>
    public static string? CurrentCorrelationId => Activity.Current?.GetBaggageItem(CorrelationBaggage);

    /// <summary>
    /// The parent for a span of a run's background work: the current span when it belongs to the run's trace already
    /// (the Functions host carried it), else the trace context the run carries from the request that started it.
    /// </summary>
    public static ActivityContext ParentFor(RunRef run)
    {
        var carried = ActivityContext.TryParse(run.TraceParent, null, isRemote: true, out var context) ? context : default;
        return Activity.Current is { } current && (carried == default || current.TraceId == carried.TraceId)
            ? current.Context
            : carried;
    }

    /// <summary>
    /// The span of a whole run, <c>invoke_agent {agent}</c>, recorded when it ended (an orchestration's episodes may run
    /// in different processes, so no span can stay open across them): its times are the orchestration's.
    /// </summary>
    public static void RecordRun(RunRef run, string agentId, string? agentName, string? model, DateTimeOffset started, DateTimeOffset ended, string status)
    {
        RunsEnded.Add(1, new TagList { { AgentId, agentId }, { RunStatus, status } });
        RunDuration.Record((ended - started).TotalSeconds, new TagList { { AgentId, agentId }, { RunStatus, status } });
        using var span = Source.StartActivity($"invoke_agent {agentName ?? agentId}", ActivityKind.Internal, ParentFor(run), RunTags(run, "invoke_agent"), startTime: started);
        if (span is null)
        {
            return;
        }
        span.SetTag(AgentId, agentId).SetTag(AgentName, agentName ?? agentId).SetTag(RequestModel, model).SetTag(RunStatus, status);
        if (status is "failed" or "expired")
        {
            span.SetStatus(ActivityStatusCode.Error, status).SetTag(ErrorType, status);
        }
        span.SetEndTime(ended.UtcDateTime);
    }

    /// <summary>A tool call's span, <c>execute_tool {tool}</c>, recorded once the call returned (its times are the orchestration's).</summary>
    public static void RecordToolCall(RunRef run, string agentId, string toolName, string toolCallId, bool failed, DateTimeOffset started, DateTimeOffset ended)
    {
        using var span = Source.StartActivity($"execute_tool {toolName}", ActivityKind.Internal, ParentFor(run), RunTags(run, "execute_tool"), startTime: started);
        if (span is null)
        {
            return;
        }
        span.SetTag(AgentId, agentId).SetTag(ToolName, toolName).SetTag(ToolCallId, toolCallId).SetTag(ToolType, "function");
        if (failed)
        {
            span.SetStatus(ActivityStatusCode.Error).SetTag(ErrorType, "tool_error");
        }
        span.SetEndTime(ended.UtcDateTime);
    }

    /// <summary>An approval wait's span, <c>agents.approval.wait {tool}</c>, and its count and duration by outcome.</summary>
    public static void RecordApprovalWait(RunRef run, string agentId, string toolName, string toolCallId, string outcome, DateTimeOffset started, DateTimeOffset ended)
    {
        ApprovalWaits.Add(1, new TagList { { AgentId, agentId }, { ApprovalOutcome, outcome } });
        ApprovalWaitDuration.Record((ended - started).TotalSeconds, new TagList { { AgentId, agentId }, { ApprovalOutcome, outcome } });
        using var span = Source.StartActivity($"agents.approval.wait {toolName}", ActivityKind.Internal, ParentFor(run), RunTags(run, null), startTime: started);
        span?.SetTag(AgentId, agentId).SetTag(ToolName, toolName).SetTag(ToolCallId, toolCallId).SetTag(ApprovalOutcome, outcome).SetEndTime(ended.UtcDateTime);
    }

    /// <summary>
    /// A span for one step of a run's background work (an activity, a queued write), parented by <see cref="ParentFor"/>,
    /// so that what it calls (the model, Cosmos DB, the queues) lands in the trace of the request that started the run.
    /// </summary>
    public static Activity? StartRunWork(RunRef run, string name, ActivityKind kind = ActivityKind.Internal) =>
        Source.StartActivity(name, kind, ParentFor(run), RunTags(run, null));

    public static void RunStarted(string agentId) => RunsStarted.Add(1, new TagList { { AgentId, agentId } });

    public static void TokensUsed(string agentId, string model, TokenUsage usage)
    {
        Tokens.Add(usage.InputTokens, new TagList { { TokenType, "input" }, { ResponseModel, model }, { AgentId, agentId } });
        Tokens.Add(usage.OutputTokens, new TagList { { TokenType, "output" }, { ResponseModel, model }, { AgentId, agentId } });
    }

    public static void GatewayRequest(string surface, string model, int status, TimeSpan duration)
    {
        var tags = new TagList { { Surface, surface }, { RequestModel, model }, { StatusCode, status } };
        GatewayRequests.Add(1, tags);
        GatewayDuration.Record(duration.TotalSeconds, tags);
    }

    public static void RateLimited(string policy, string tier) => RateLimitRefusals.Add(1, new TagList { { Policy, policy }, { Tier, tier } });

    public static void BudgetRefused(string scope, string? agentId) => BudgetRefusals.Add(1, new TagList { { BudgetScope, scope }, { AgentId, agentId } });

    private static ActivityTagsCollection RunTags(RunRef run, string? operation)
    {
        var tags = new ActivityTagsCollection { [RunId] = run.RunId, [ConversationId] = run.ThreadId };
        if (operation is not null)
        {
            tags[OperationName] = operation;
        }
        if (run.CorrelationId is { } correlation)
        {
            tags[CorrelationId] = correlation;
        }
        return tags;
    }
}
