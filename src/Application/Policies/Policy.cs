using System.Globalization;
using System.Text.Json.Nodes;
using Agents.Domain.Errors;
using Agents.Domain.Usage;

namespace Agents.Application.Policies;

/// <summary>Where in a model exchange a policy is asked.</summary>
public enum PolicyStage
{
    /// <summary>The request, before it goes upstream (may be modified).</summary>
    Request,
    /// <summary>The response text: each streamed delta, or the whole text of a response that is not streamed.</summary>
    Response,
    /// <summary>Each tool call the model proposes (gateway responses and agent runs).</summary>
    ToolCall,
}

public enum PolicyAction
{
    Pass,
    Modify,
    Block,
    /// <summary>Park the tool call for a person (agent runs); the gateway cannot park, see the judge's <c>gatewayApproval</c>.</summary>
    RequireApproval,
}

/// <summary>A policy's answer. <see cref="Text"/> is the replacement of a modified response text.</summary>
public sealed record PolicyDecision(PolicyAction Action, string? Reason = null)
{
    public static readonly PolicyDecision Pass = new(PolicyAction.Pass);

    public string? Text { get; init; }

    /// <summary>A judge's score (0–1), shown in the activity stream.</summary>
    public double? Score { get; init; }

    public static PolicyDecision Block(string reason) => new(PolicyAction.Block, reason);

    public static PolicyDecision Approval(string reason) => new(PolicyAction.RequireApproval, reason);

    public static PolicyDecision Modified(string reason, string? text = null) => new(PolicyAction.Modify, reason) { Text = text };
}

/// <summary>Who is calling and through what: the surface (<c>openai</c>, <c>anthropic</c> or <c>run</c>) and the ids.</summary>
public sealed record PolicyScope(string Surface, string UserId, string TenantId, string RequestId, string? Model)
{
    public const string Run = "run";

    public string? AgentId { get; init; }

    public string? RunId { get; init; }

    /// <summary>True in agent runs: a tool call can wait for a person. The gateway answers at once, so it cannot.</summary>
    public bool CanPark => Surface == Run;
}

/// <summary>A tool call the model proposed: its name and its arguments (a JSON text the model wrote, untrusted).</summary>
public sealed record ProposedToolCall(string Id, string Name, string Arguments);

/// <summary>
/// Response text to check: a streamed delta with the tail of the text before it (so a term split across deltas is
/// still seen), or a whole response (<see cref="Preceding"/> empty, <see cref="IsDelta"/> false).
/// </summary>
public sealed record ResponseText(string Text, string Preceding, bool IsDelta);

/// <summary>
/// A Chat Completions request as policies see it (both gateway surfaces are translated to this form first). A policy
/// may change it (for example lower <c>max_tokens</c>); it goes upstream as it is after the chain.
/// </summary>
public sealed class PolicyRequest(JsonObject body)
{
    public JsonObject Body => body;

    /// <summary>The texts of the messages (string content, text parts, tool call arguments), in order.</summary>
    public IEnumerable<string> Texts()
    {
        if (body["messages"] is not JsonArray messages)
        {
            yield break;
        }
        foreach (var message in messages.OfType<JsonObject>())
        {
            switch (message["content"])
            {
                case JsonValue v when v.TryGetValue<string>(out var text):
                    yield return text;
                    break;
                case JsonArray parts:
                    foreach (var part in parts.OfType<JsonObject>())
                    {
                        if (part["text"] is JsonValue t && t.TryGetValue<string>(out var partText))
                        {
                            yield return partText;
                        }
                    }
                    break;
            }
            if (message["tool_calls"] is JsonArray calls)
            {
                foreach (var call in calls.OfType<JsonObject>())
                {
                    if (call["function"]?["arguments"] is JsonValue a && a.TryGetValue<string>(out var args))
                    {
                        yield return args;
                    }
                }
            }
        }
    }

    public long InputChars => Texts().Sum(t => (long)t.Length);

    /// <summary>The prompt's tokens as <see cref="TokenEstimate"/> counts them: the messages' texts and the tools' definitions.</summary>
    public long PromptTokens
    {
        get
        {
            var tools = body["tools"] as JsonArray;
            return TokenEstimate.Prompt((body["messages"] as JsonArray)?.Count ?? 0, InputChars,
                tools?.Count ?? 0, tools?.Sum(t => (long)(t?.ToJsonString().Length ?? 0)) ?? 0);
        }
    }

    /// <summary><c>max_completion_tokens</c>, else <c>max_tokens</c>; null when the client set neither.</summary>
    public int? MaxOutputTokens
    {
        get => ReadInt("max_completion_tokens") ?? ReadInt("max_tokens");
        set
        {
            var key = body.ContainsKey("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
            body[key] = value;
        }
    }

    private int? ReadInt(string key) =>
        JsonNumber.TryRead(body[key], out var d) ? (int)Math.Clamp(d, int.MinValue, int.MaxValue) : null;
}

/// <summary>A policy's resolved settings (defaults filled in), with typed getters.</summary>
public sealed class PolicySettings(JsonObject values)
{
    public JsonObject Values => values;

    public double Number(string name) => JsonNumber.Read(values[name]) ?? 0;

    public int WholeNumber(string name) => (int)Number(name);

    public bool Boolean(string name) => values[name] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    public string Text(string name) => values[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    public IReadOnlyList<string> TextList(string name) => values[name] is JsonArray a
        ? a.OfType<JsonValue>().Select(v => v.TryGetValue<string>(out var s) ? s : Convert.ToString(v, CultureInfo.InvariantCulture) ?? "").ToList()
        : [];
}

/// <summary>
/// A kind of policy: its name, what it does, its settings schema, and its hooks. One instance serves every chain entry
/// of its kind; the entry's settings come with each call. Hooks not overridden pass. A hook should honour its
/// cancellation token; the chain also stops waiting when the entry's time budget is spent.
/// </summary>
public abstract class Policy
{
    public abstract string Name { get; }

    public abstract string Description { get; }

    public abstract IReadOnlyList<PolicyStage> Stages { get; }

    public abstract SettingsSchema Schema { get; }

    /// <summary>The time budget of an entry that does not set <c>timeoutMs</c>.</summary>
    public virtual int DefaultTimeoutMs => 1000;

    /// <summary>True when a hook does I/O (a model call): the chain then hands it a token that fires when its budget is spent.</summary>
    public virtual bool IsAsynchronous => false;

    /// <summary>Rules across settings (the schema checks each on its own); <paramref name="settings"/> has the defaults filled in.</summary>
    public virtual IEnumerable<FieldError> Check(PolicySettings settings, string path) => [];

    public virtual ValueTask<PolicyDecision> OnRequestAsync(PolicyScope scope, PolicyRequest request, PolicySettings settings, CancellationToken ct) =>
        ValueTask.FromResult(PolicyDecision.Pass);

    public virtual ValueTask<PolicyDecision> OnResponseAsync(PolicyScope scope, ResponseText text, PolicySettings settings, CancellationToken ct) =>
        ValueTask.FromResult(PolicyDecision.Pass);

    public virtual ValueTask<PolicyDecision> OnToolCallAsync(PolicyScope scope, ProposedToolCall toolCall, PolicySettings settings, CancellationToken ct) =>
        ValueTask.FromResult(PolicyDecision.Pass);
}
