using System.Text.Json.Nodes;
using Agents.Application.Agents;
using Agents.Application.Gateway.Activity;
using Agents.Application.Http;
using Agents.Application.Policies;
using Agents.Domain.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging;

namespace Agents.Application.Api;

public sealed record SetPolicyChainRequest(IReadOnlyList<PolicyEntry>? Chain);

/// <summary>A sample to test policies against: a Chat Completions request, a response text, proposed tool calls.</summary>
public sealed record PolicyTestRequest(
    string? Policy = null,
    JsonObject? Settings = null,
    IReadOnlyList<PolicyEntry>? Chain = null,
    string? AgentId = null,
    string? Surface = null,
    JsonObject? Request = null,
    string? Response = null,
    IReadOnlyList<PolicyTestToolCall>? ToolCalls = null);

public sealed record PolicyTestToolCall(string Name, string? Arguments = null);

public sealed record PolicyInfo(string Name, string Description, IReadOnlyList<string> Stages, int DefaultTimeoutMs, string DefaultFailMode, JsonObject SettingsSchema);

public sealed record EffectiveEntryView(string Id, string Policy, bool Enabled, int TimeoutMs, string FailMode, JsonObject Settings, IReadOnlyDictionary<string, string> Sources);

public sealed record PolicyChainView(
    string Source, long StoredVersion, string? UpdatedBy, DateTimeOffset? UpdatedAt, string? AgentId,
    IReadOnlyList<EffectiveEntryView> Entries, IReadOnlyList<PolicyEntry>? Stored, IReadOnlyList<PolicyEntry> File);

public sealed record PolicyTestResult(
    string Request, JsonObject? ModifiedRequest, string? Response, string? ResponseText,
    IReadOnlyList<PolicyToolCallResult> ToolCalls, IReadOnlyList<ActivityEvent> Decisions);

public sealed record PolicyToolCallResult(string Name, string Action, string? Policy, string? Reason);

/// <summary>
/// Admin routes of the policy pipeline and the activity stream (role Agents.Admin): the policies and their settings
/// schemas, the effective chain with the source of every value, setting and resetting the stored chain, testing a
/// policy or a chain on a sample (only the judge calls a model), and live/recent activity. The handlers are public
/// for the Azure Functions app.
/// </summary>
public static class AdminPoliciesApi
{
    public static Ok<ListResponse<PolicyInfo>> List(PolicyCatalog catalog) =>
        TypedResults.Ok(new ListResponse<PolicyInfo>(catalog.All.OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => new PolicyInfo(
            p.Name, p.Description, p.Stages.Select(ActivityTypes.StageName).ToList(), p.DefaultTimeoutMs, "closed", p.Schema.ToJsonSchema())).ToList(), null));

    public static async Task<Ok<PolicyChainView>> GetChain(HttpContext http, PolicyConfiguration configuration, AgentStore agents, string? agentId)
    {
        var ct = http.RequestAborted;
        var agent = agentId is null ? null : (await agents.GetVisibleAsync(http.Caller().UserId, agentId, ct))?.Value
            ?? throw new ApiProblemException(Problems.NotFound("agent", agentId));
        var stored = await configuration.GetStoredAsync(ct);
        var effective = configuration.Resolve(stored?.Value, PolicyConfiguration.ParseOverride(agent?.Policies));
        if (stored is not null)
        {
            http.Response.Headers.ETag = EntityTags.ToHeader(stored.ETag);
        }
        return TypedResults.Ok(View(effective, stored?.Value, configuration, agentId));
    }

    public static async Task<Ok<PolicyChainView>> SetChain(HttpContext http, PolicyConfiguration configuration, ILogger<PolicyConfiguration> logger)
    {
        var request = await RequestJson.ReadAsync<SetPolicyChainRequest>(http.Request, http.RequestAborted);
        var caller = http.Caller();
        var ifMatch = http.Request.Headers.IfMatch.FirstOrDefault();
        var stored = await configuration.SetAsync(request.Chain, caller.DisplayName is { Length: > 0 } name ? $"{name} ({caller.UserId})" : caller.UserId, ifMatch, http.RequestAborted);
        logger.LogChainChanged(stored.Value.Version, caller.UserId, stored.Value.Chain.Count);
        http.Response.Headers.ETag = EntityTags.ToHeader(stored.ETag);
        return TypedResults.Ok(View(configuration.Resolve(stored.Value, null), stored.Value, configuration, null));
    }

    public static async Task<NoContent> ResetChain(HttpContext http, PolicyConfiguration configuration)
    {
        await configuration.ResetAsync(http.RequestAborted);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<PolicyTestResult>> Test(HttpContext http, PolicyConfiguration configuration, PolicyCatalog catalog, AgentStore agents, TimeProvider clock, ILogger<PolicyChain> logger)
    {
        var ct = http.RequestAborted;
        var request = await RequestJson.ReadAsync<PolicyTestRequest>(http.Request, ct);
        var errors = new List<FieldError>();
        if (request.Request is null && request.Response is null && request.ToolCalls is not { Count: > 0 })
        {
            errors.Add(new FieldError("request", "send at least one of 'request', 'response' or 'toolCalls'"));
        }
        if (request.Surface is not (null or "openai" or "anthropic" or "run"))
        {
            errors.Add(new FieldError("surface", "must be 'openai', 'anthropic' or 'run'"));
        }
        if (request.Chain is not null)
        {
            errors.AddRange(configuration.ValidateChain(request.Chain, "chain"));
        }
        if (errors.Count > 0)
        {
            throw new ApiProblemException(Problems.Validation(errors));
        }
        var caller = http.Caller();
        var agent = request.AgentId is null ? null : (await agents.GetVisibleAsync(caller.UserId, request.AgentId, ct))?.Value
            ?? throw new ApiProblemException(Problems.NotFound("agent", request.AgentId));
        var stored = request.Chain is not null ? new StoredPolicyChain { Chain = request.Chain } : (await configuration.GetStoredAsync(ct))?.Value;
        var effective = configuration.Resolve(stored, PolicyConfiguration.ParseOverride(agent?.Policies));
        if (request.Policy is not null)
        {
            effective = Single(effective, request, configuration, catalog);
        }

        // Decisions go to a private feed: a test is not activity, and the feed's events are exactly the decisions.
        var recorder = new ActivityFeed(clock, new ActivityOptions());
        using var decisions = recorder.Subscribe();
        var scope = new PolicyScope(request.Surface ?? "openai", caller.UserId, caller.TenantId, $"test_{Guid.CreateVersion7():N}", request.Request?["model"]?.ToString());
        var chain = new PolicyChain(effective, scope, recorder, logger);

        var requestAction = "pass";
        JsonObject? modified = null;
        if (request.Request is { } sample)
        {
            var copy = sample.DeepClone().AsObject();
            var result = await chain.OnRequestAsync(new PolicyRequest(copy), ct);
            requestAction = ActivityTypes.ActionName(result.Action);
            modified = result.Action == PolicyAction.Modify ? copy : null;
        }
        string? responseAction = null;
        string? responseText = null;
        if (request.Response is { } text)
        {
            var result = await chain.OnResponseAsync(new ResponseText(text, "", IsDelta: false), ct);
            responseAction = ActivityTypes.ActionName(result.Action);
            responseText = result.Action == PolicyAction.Block ? null : result.Text;
        }
        var calls = new List<PolicyToolCallResult>();
        foreach (var (call, i) in (request.ToolCalls ?? []).Select((c, i) => (c, i)))
        {
            var result = await chain.OnToolCallAsync(new ProposedToolCall($"call_test_{i}", call.Name, call.Arguments ?? "{}"), ct);
            calls.Add(new PolicyToolCallResult(call.Name, ActivityTypes.ActionName(result.Action), result.Policy, result.Reason));
        }
        var events = new List<ActivityEvent>();
        while (decisions.Reader.TryRead(out var e))
        {
            events.Add(e with { Instance = null });
        }
        return TypedResults.Ok(new PolicyTestResult(requestAction, modified, responseAction, responseText, calls, events));
    }

    public static async Task<EmptyHttpResult> Stream(HttpContext http, ActivityStreamer streamer, string? type, string? userId, string? policy)
    {
        await streamer.StreamAsync(http, ActivityFilter.Parse(type, userId, policy));
        return TypedResults.Empty;
    }

    public static async Task<Ok<ListResponse<ActivityEvent>>> Recent(HttpContext http, ActivityStore store, int? limit, string? type, string? userId, string? policy)
    {
        if (limit is < 1 or > ActivityStore.MaxRecent)
        {
            throw new ApiProblemException(Problems.Field("limit", $"must be between 1 and {ActivityStore.MaxRecent}"));
        }
        var events = await store.RecentAsync(limit ?? 100, ActivityFilter.Parse(type, userId, policy), http.RequestAborted);
        return TypedResults.Ok(new ListResponse<ActivityEvent>(events, null));
    }

    /// <summary>The chain reduced to one policy: its entry (by id or policy name), or a new one, with the test's settings on top.</summary>
    private static EffectiveChain Single(EffectiveChain effective, PolicyTestRequest request, PolicyConfiguration configuration, PolicyCatalog catalog)
    {
        var existing = effective.Entries.FirstOrDefault(e => e.Id == request.Policy) ?? effective.Entries.FirstOrDefault(e => e.Policy.Name == request.Policy);
        var policy = existing?.Policy ?? catalog.Find(request.Policy)
            ?? throw new ApiProblemException(Problems.Field("policy", $"'{request.Policy}' is neither an entry of the chain nor a policy; known policies: {string.Join(", ", catalog.Names)}"));
        var errors = policy.Schema.Validate(request.Settings, "settings");
        if (errors.Count > 0)
        {
            throw new ApiProblemException(Problems.Validation(errors));
        }
        existing ??= configuration.Resolve(new StoredPolicyChain { Chain = [new PolicyEntry { Policy = policy.Name }] }, null).Entries[0];
        var values = existing.Settings.Values.DeepClone().AsObject();
        var sources = new Dictionary<string, string>(existing.Sources, StringComparer.Ordinal);
        foreach (var (key, value) in request.Settings ?? [])
        {
            values[key] = value?.DeepClone();
            sources[key] = "test";
        }
        return new EffectiveChain([existing with { Enabled = true, Settings = new PolicySettings(values), Sources = sources }], "test", effective.StoredVersion);
    }

    private static PolicyChainView View(EffectiveChain effective, StoredPolicyChain? stored, PolicyConfiguration configuration, string? agentId) => new(
        effective.ChainSource, effective.StoredVersion, stored?.UpdatedBy, stored?.UpdatedAt, agentId,
        effective.Entries.Select(e => new EffectiveEntryView(e.Id, e.Policy.Name, e.Enabled, e.TimeoutMs, e.FailOpen ? "open" : "closed", e.Settings.Values, e.Sources)).ToList(),
        stored?.Chain, configuration.FileChain);
}

internal static partial class AdminPoliciesLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Policy chain version {Version} set by {UserId} ({Entries} entries)")]
    public static partial void LogChainChanged(this ILogger logger, long version, string userId, int entries);
}
