using System.Text;
using System.Text.Json.Nodes;
using Agents.Application.Policies;

namespace Agents.Application.Gateway;

/// <summary>
/// The gateway's tool-call stage: each proposed tool call is reviewed (the chain's tool-call stage, passed in as
/// <c>review</c>), and a blocked one (or one needing an approval, which the gateway cannot park) is removed and explained
/// in the content, with <c>finish_reason</c> <c>stop</c> when none remain. In a stream, the chunks carrying tool calls
/// are held until the calls are complete (the finishing chunk), then released, renumbered, without the blocked ones.
/// </summary>
public sealed class ToolCallGate(Func<ProposedToolCall, CancellationToken, Task<ChainResult>> review)
{
    private readonly List<(JsonObject Json, string Raw)> held = [];
    private readonly SortedDictionary<int, ToolCallBuilder> calls = [];

    /// <summary>Whether the stream proposed any tool call so far.</summary>
    public bool HasCalls => calls.Count > 0;

    /// <summary>Adds a chunk's tool call deltas to the calls being built; returns how many argument characters they added.</summary>
    public long Accumulate(JsonArray deltas)
    {
        long chars = 0;
        foreach (var d in deltas.OfType<JsonObject>())
        {
            var index = d["index"] is JsonValue iv && iv.TryGetValue<int>(out var i) ? i : 0;
            if (!calls.TryGetValue(index, out var call))
            {
                calls[index] = call = new ToolCallBuilder();
            }
            call.Id ??= (d["id"] as JsonValue)?.ToString();
            call.Name ??= (d["function"]?["name"] as JsonValue)?.ToString();
            if ((d["function"]?["arguments"] as JsonValue)?.ToString() is { Length: > 0 } fragment)
            {
                call.Arguments.Append(fragment);
                chars += fragment.Length;
            }
        }
        return chars;
    }

    /// <summary>Keeps a chunk with tool call deltas until <see cref="ReleaseAsync"/>.</summary>
    public void Hold(JsonObject chunk, string raw) => held.Add((chunk, raw));

    /// <summary>
    /// Reviews the completed calls and returns the chunks to send, in order, ending with <paramref name="finish"/> (held
    /// or not): unchanged (with their raw text) when every call passed; otherwise without the blocked calls, the rest
    /// renumbered, and a chunk explaining each refusal before the finishing one.
    /// </summary>
    public async Task<List<GatewayChunk>> ReleaseAsync(JsonObject finish, CancellationToken ct)
    {
        var finishHeld = held.Count > 0 && ReferenceEquals(held[^1].Json, finish);
        var refusals = new List<string>();
        var allowed = new List<int>();
        foreach (var (index, call) in calls)
        {
            var result = await review(new ProposedToolCall(call.Id ?? "", call.Name ?? "", call.Arguments.ToString()), ct).ConfigureAwait(false);
            if (result.Action is PolicyAction.Block or PolicyAction.RequireApproval)
            {
                refusals.Add(Refusal(call.Name, result));
            }
            else
            {
                allowed.Add(index);
            }
        }
        var output = new List<GatewayChunk>();
        if (refusals.Count == 0)
        {
            output.AddRange(held.Select(h => new GatewayChunk(ChunkKind.Data, h.Json, h.Raw)));
            if (!finishHeld)
            {
                output.Add(new GatewayChunk(ChunkKind.Data, finish, null));
            }
            held.Clear();
            return output;
        }
        var renumber = allowed.Select((original, i) => (original, i)).ToDictionary(p => p.original, p => p.i);
        foreach (var (json, _) in held)
        {
            var delta = json["choices"]![0]!["delta"] as JsonObject;
            if (delta?["tool_calls"] is JsonArray deltas)
            {
                var kept = new JsonArray();
                foreach (var d in deltas.OfType<JsonObject>().ToList())
                {
                    if (d["index"] is JsonValue iv && iv.TryGetValue<int>(out var index) && renumber.TryGetValue(index, out var newIndex))
                    {
                        deltas.Remove(d);
                        d["index"] = newIndex;
                        kept.Add(d);
                    }
                }
                if (kept.Count > 0)
                {
                    delta["tool_calls"] = kept;
                }
                else
                {
                    delta.Remove("tool_calls");
                }
            }
            var keep = (delta is not null && delta.Count > 0) || ReferenceEquals(json, finish);
            if (keep && !ReferenceEquals(json, finish))
            {
                output.Add(new GatewayChunk(ChunkKind.Data, json, null));
            }
        }
        held.Clear();
        var refusal = finish.DeepClone().AsObject();
        refusal["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["delta"] = new JsonObject { ["content"] = string.Join("\n", refusals) },
            ["finish_reason"] = null,
        });
        refusal.Remove("usage");
        output.Add(new GatewayChunk(ChunkKind.Data, refusal, null));
        if (allowed.Count == 0)
        {
            finish["choices"]![0]!["finish_reason"] = "stop";
        }
        if (finish["choices"]![0]!["delta"] is JsonObject finishDelta && finishDelta.ContainsKey("tool_calls") && finishDelta["tool_calls"] is not JsonArray { Count: > 0 })
        {
            finishDelta.Remove("tool_calls");
        }
        output.Add(new GatewayChunk(ChunkKind.Data, finish, null));
        return output;
    }

    /// <summary>Removes blocked tool calls from a complete answer's <paramref name="message"/> and says why in its content.</summary>
    public async Task ReviewAnswerAsync(JsonObject choice, JsonObject message, JsonArray proposed, CancellationToken ct)
    {
        var kept = new JsonArray();
        var refusals = new List<string>();
        foreach (var call in proposed.OfType<JsonObject>().ToList())
        {
            var name = (call["function"]?["name"] as JsonValue)?.ToString() ?? "";
            var args = (call["function"]?["arguments"] as JsonValue)?.ToString() ?? "";
            var result = await review(new ProposedToolCall((call["id"] as JsonValue)?.ToString() ?? "", name, args), ct).ConfigureAwait(false);
            if (result.Action is PolicyAction.Block or PolicyAction.RequireApproval)
            {
                refusals.Add(Refusal(name, result));
            }
            else
            {
                proposed.Remove(call);
                kept.Add(call);
            }
        }
        if (refusals.Count == 0)
        {
            message["tool_calls"] = kept;
            return;
        }
        var existing = (message["content"] as JsonValue)?.ToString();
        message["content"] = string.IsNullOrEmpty(existing) ? string.Join("\n", refusals) : existing + "\n" + string.Join("\n", refusals);
        if (kept.Count == 0)
        {
            message.Remove("tool_calls");
            choice["finish_reason"] = "stop";
        }
        else
        {
            message["tool_calls"] = kept;
        }
    }

    private static string Refusal(string? tool, ChainResult result) =>
        $"The call to the tool '{tool}' was blocked by policy '{result.Policy}': {result.Reason}";

    private sealed class ToolCallBuilder
    {
        public string? Id { get; set; }
        public string? Name { get; set; }
        public StringBuilder Arguments { get; } = new();
    }
}
