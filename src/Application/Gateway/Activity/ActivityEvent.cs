using System.ComponentModel.DataAnnotations;
using Agents.Application.Policies;

namespace Agents.Application.Gateway.Activity;

/// <summary>
/// One thing that happened, for the admins' activity stream: a gateway request, a policy decision, a block, a tool
/// call parked for approval, an error. Members that do not apply are left out of the JSON.
/// </summary>
public sealed record ActivityEvent
{
    /// <summary>Time-ordered (a version 7 GUID), assigned when published.</summary>
    public string Id { get; init; } = "";
    public required string Type { get; init; }
    public DateTimeOffset At { get; init; }
    /// <summary>The process that published it (live delivery there, polling elsewhere).</summary>
    public string? Instance { get; init; }
    public string? Surface { get; init; }
    public string? UserId { get; init; }
    public string? RequestId { get; init; }
    public string? Model { get; init; }
    public string? AgentId { get; init; }
    public string? RunId { get; init; }
    public string? Policy { get; init; }
    public string? Stage { get; init; }
    public string? Action { get; init; }
    public string? Tool { get; init; }
    public string? Reason { get; init; }
    public double? Score { get; init; }
    public int? Status { get; init; }
    public string? Code { get; init; }
    public bool? Stream { get; init; }
    public bool? Partial { get; init; }
    public int? InputTokens { get; init; }
    public int? OutputTokens { get; init; }
    public long? DurationMs { get; init; }
}

/// <summary>The event types, and the names of stages and actions as events show them.</summary>
public static class ActivityTypes
{
    /// <summary>A gateway request finished (any status): model, tokens, duration, whether it streamed or was cut short.</summary>
    public const string Request = "gateway.request";
    /// <summary>A gateway request failed: status and problem code.</summary>
    public const string Error = "gateway.error";
    /// <summary>A policy passed or modified something (tool call reviews always; other stages when they say why).</summary>
    public const string Decision = "policy.decision";
    /// <summary>A policy blocked a request, a response or a tool call.</summary>
    public const string Block = "policy.block";
    /// <summary>A policy parked a run's tool call for a person's approval.</summary>
    public const string Approval = "policy.approval";

    public static readonly IReadOnlyList<string> All = [Request, Error, Decision, Block, Approval];

    public static string StageName(PolicyStage stage) => stage switch
    {
        PolicyStage.Request => "request",
        PolicyStage.Response => "response",
        _ => "tool_call",
    };

    public static string ActionName(PolicyAction action) => action switch
    {
        PolicyAction.Modify => "modify",
        PolicyAction.Block => "block",
        PolicyAction.RequireApproval => "require_approval",
        _ => "pass",
    };
}

/// <summary>What an admin watches: types (exact, or a prefix such as <c>policy</c>), a user, a policy entry.</summary>
public sealed record ActivityFilter(IReadOnlyList<string>? Types, string? UserId, string? Policy)
{
    public static ActivityFilter Parse(string? type, string? userId, string? policy) => new(
        string.IsNullOrWhiteSpace(type) ? null : type.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        string.IsNullOrWhiteSpace(userId) ? null : userId,
        string.IsNullOrWhiteSpace(policy) ? null : policy);

    public bool Matches(ActivityEvent e) =>
        (Types is null || Types.Any(t => e.Type == t || e.Type.StartsWith(t + ".", StringComparison.Ordinal)))
        && (UserId is null || e.UserId == UserId)
        && (Policy is null || e.Policy == Policy);
}

public sealed class ActivityOptions
{
    public const string Section = "Activity";

    /// <summary>Events waiting to be stored; when full the oldest are dropped (the live stream still gets them).</summary>
    [Range(100, 1_000_000)]
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>How often a live stream looks for events stored by other instances.</summary>
    [Range(1, 60)]
    public int PollSeconds { get; set; } = 2;

    /// <summary>How long stored events are kept (Cosmos TTL, where the container has TTL enabled).</summary>
    [Range(1, 365)]
    public int RetentionDays { get; set; } = 7;
}
