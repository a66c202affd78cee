using System.Text.Json.Nodes;
using Agents.Application.Gateway.Activity;
using Agents.Application.Http;
using Agents.Application.Limits;
using Agents.Application.Models;
using Agents.Application.Policies;
using Agents.Application.Usage;
using Agents.Domain.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Agents.Application.Gateway;

/// <summary>
/// The gateway's core, shared by both surfaces: a Chat Completions request (the Anthropic surface translates first)
/// is checked, passed through the policy chain and forwarded; <see cref="GatewayCall"/> then carries the answer back
/// through the chain and records its usage once.
/// </summary>
public sealed class ChatGateway(
    UpstreamClient upstream, ModelResilience resilience, PolicyEngine policies, UsageLedger ledger, TokenBudgets budgets, LimitsOptions limits, ActivityFeed activity,
    GatewayOptions options, ModelOptions model, TimeProvider clock, ILogger<GatewayCall> logger, RequestLimits requestLimits)
{
    /// <summary>
    /// Validates the request, resolves the model, forces usage into streams, and runs the request stage of the chain.
    /// A block is a 403 <c>policy_blocked</c> (an <see cref="ApiProblemException"/>). Then reserves the expected tokens
    /// from the caller's budget (429 <c>token_budget_exceeded</c> when it is used up). Dispose the call when done.
    /// </summary>
    public async Task<GatewayCall> BeginAsync(HttpContext http, GatewaySurface surface, JsonObject request, CancellationToken ct)
    {
        var caller = http.Caller();
        if (request["model"] is not JsonValue m || !m.TryGetValue<string>(out var requested) || string.IsNullOrWhiteSpace(requested))
        {
            throw new ApiProblemException(GatewayProblems.Invalid("model", "is required"));
        }
        if (request["messages"] is not JsonArray { Count: > 0 })
        {
            throw new ApiProblemException(GatewayProblems.Invalid("messages", "must be a non-empty array"));
        }
        CheckMessages((JsonArray)request["messages"]!);
        CheckRequestLimits(request);
        var deployment = options.ModelAliases.TryGetValue(requested, out var alias) ? alias : requested;
        request["model"] = deployment;

        var stream = request["stream"] is JsonValue s && s.TryGetValue<bool>(out var b) && b;
        var wantsUsage = false;
        if (stream)
        {
            // Upstream always reports usage (so streams are counted); the client sees it only if it asked.
            var streamOptions = request["stream_options"] as JsonObject ?? new JsonObject();
            wantsUsage = streamOptions["include_usage"] is JsonValue u && u.TryGetValue<bool>(out var include) && include;
            streamOptions["include_usage"] = true;
            request["stream_options"] = streamOptions;
        }

        var surfaceName = surface == GatewaySurface.OpenAi ? "openai" : "anthropic";
        var scope = new PolicyScope(surfaceName, caller.UserId, caller.TenantId, GatewayErrors.RequestId(http), deployment);
        var chain = await policies.ChainForAsync(scope, agent: null, ct).ConfigureAwait(false);
        var call = new GatewayCall(this, caller, scope, chain, request, stream, wantsUsage, clock.GetUtcNow());
        var result = await chain.OnRequestAsync(new PolicyRequest(request), ct).ConfigureAwait(false);
        if (result.Action == PolicyAction.Block)
        {
            var problem = GatewayProblems.PolicyBlocked(result.Policy, result.Reason);
            call.Fail(problem);
            await call.DisposeAsync().ConfigureAwait(false);
            throw new ApiProblemException(problem);
        }
        var reservation = await budgets.ReserveAsync(caller.UserId, null, call.RequestId, Estimate(request), ct).ConfigureAwait(false);
        if (reservation.Refusal is { } refusal)
        {
            call.Fail(refusal);
            await call.DisposeAsync().ConfigureAwait(false);
            throw new ApiProblemException(refusal);
        }
        call.Reservation = reservation;
        return call;
    }

    /// <summary>Expected tokens: the prompt as runs estimate it (<see cref="PolicyRequest.PromptTokens"/>, tools included), and max_tokens or the default reservation.</summary>
    private long Estimate(JsonObject request)
    {
        var policyRequest = new PolicyRequest(request);
        return policyRequest.PromptTokens + (policyRequest.MaxOutputTokens ?? limits.DefaultReservedOutputTokens);
    }

    internal TokenBudgets Budgets => budgets;

    internal UpstreamClient Upstream => upstream;

    internal ModelResilience Resilience => resilience;

    internal UsageLedger Ledger => ledger;

    internal ActivityFeed Activity => activity;

    internal GatewayOptions Options => options;

    internal ModelOptions Model => model;

    internal TimeProvider Clock => clock;

    internal ILogger Logger => logger;

    private static readonly HashSet<string> Roles = new(StringComparer.Ordinal) { "system", "developer", "user", "assistant", "tool", "function" };

    /// <summary>
    /// The shape the body passes on unchanged must have: every message an object with a known role and a text, parts or
    /// null content, so a malformed one is the caller's 400 here, not the model endpoint's error relayed as a 502.
    /// </summary>
    private static void CheckMessages(JsonArray messages)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            var at = FormattableString.Invariant($"messages[{i}]");
            if (messages[i] is not JsonObject message)
            {
                throw new ApiProblemException(GatewayProblems.Invalid(at, "must be an object with a role and content"));
            }
            if (message["role"] is not JsonValue role || !role.TryGetValue<string>(out var name) || !Roles.Contains(name))
            {
                throw new ApiProblemException(GatewayProblems.Invalid($"{at}.role", $"must be one of {string.Join(", ", Roles)}"));
            }
            if (message["content"] is { } content && content is not JsonArray && (content is not JsonValue text || !text.TryGetValue<string>(out _)))
            {
                throw new ApiProblemException(GatewayProblems.Invalid($"{at}.content", "must be a string, an array of parts, or null"));
            }
        }
    }

    /// <summary>The request limits the runs API applies, on the gateway's surface: messages, tools, message length.</summary>
    private void CheckRequestLimits(JsonObject request)
    {
        var messages = (JsonArray)request["messages"]!;
        if (messages.Count > requestLimits.MaxMessagesPerRequest)
        {
            throw new ApiProblemException(GatewayProblems.Invalid("messages", $"must hold at most {requestLimits.MaxMessagesPerRequest} messages"));
        }
        if (request["tools"] is JsonArray tools && tools.Count > requestLimits.MaxToolsPerRequest)
        {
            throw new ApiProblemException(GatewayProblems.Invalid("tools", $"must hold at most {requestLimits.MaxToolsPerRequest} tools"));
        }
        for (var i = 0; i < messages.Count; i++)
        {
            if (messages[i]?["content"] is JsonValue content && content.TryGetValue<string>(out var text) && text.Length > requestLimits.MaxMessageChars)
            {
                throw new ApiProblemException(GatewayProblems.Invalid(
                    FormattableString.Invariant($"messages[{i}].content"), $"must be at most {requestLimits.MaxMessageChars} characters"));
            }
        }
    }
}
