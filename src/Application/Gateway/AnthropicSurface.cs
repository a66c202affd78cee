using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Agents.Application.Gateway;

/// <summary>
/// The Anthropic-compatible surface: <c>POST /api/anthropic/v1/messages</c>, translated to Chat Completions upstream
/// and back (streamed as Anthropic's event sequence), and <c>GET /api/anthropic/v1/models</c>.
/// </summary>
public static class AnthropicSurface
{
    public static async Task<IResult> Messages(HttpContext http, ChatGateway gateway)
    {
        var ct = http.RequestAborted;
        var body = await GatewayJson.ReadObjectAsync(http, ct);
        var requestedModel = (body["model"] as JsonValue)?.ToString() ?? "";
        var chat = AnthropicTranslator.ToChatRequest(body);
        await using var call = await gateway.BeginAsync(http, GatewaySurface.Anthropic, chat, ct);
        var messageId = "msg_" + call.RequestId["gw_".Length..];
        if (!call.Stream)
        {
            var completion = await call.CompleteAsync(ct);
            return Results.Content(AnthropicTranslator.ToMessage(completion, messageId, requestedModel).ToJsonString(GatewayJson.Options), "application/json");
        }

        await using var chunks = call.StreamAsync(ct).GetAsyncEnumerator(ct);
        var hasFirst = await chunks.MoveNextAsync();
        GatewayJson.StartEventStream(http);
        var writer = new AnthropicStreamWriter(http, messageId, requestedModel, EstimateInput(chat));
        await writer.StartAsync(ct);
        for (var more = hasFirst; more; more = await chunks.MoveNextAsync())
        {
            var chunk = chunks.Current;
            if (chunk.Kind == ChunkKind.Error)
            {
                call.Fail(chunk.Problem!);
                await writer.ErrorAsync(chunk.Problem!, ct);
                return Results.Empty;
            }
            writer.Add(chunk.Json!);
            await writer.FlushAsync(ct);
        }
        await writer.FinishAsync(ct);
        return Results.Empty;
    }

    public static async Task<IResult> Models(HttpContext http, GatewayModels models)
    {
        var ids = await models.ListAsync(http.RequestAborted);
        var data = new JsonArray(ids.Select(id => (JsonNode)new JsonObject
        {
            ["type"] = "model",
            ["id"] = id,
            ["display_name"] = id,
            ["created_at"] = "2024-01-01T00:00:00Z",
        }).ToArray());
        return Results.Content(new JsonObject
        {
            ["data"] = data,
            ["has_more"] = false,
            ["first_id"] = ids.Count > 0 ? ids[0] : null,
            ["last_id"] = ids.Count > 0 ? ids[^1] : null,
        }.ToJsonString(GatewayJson.Options), "application/json");
    }

    /// <summary>The prompt tokens message_start announces before upstream has counted them (message_delta has the real count).</summary>
    private static int EstimateInput(JsonObject chat) =>
        (int)Math.Min(int.MaxValue, new Policies.PolicyRequest(chat).PromptTokens);
}

/// <summary>
/// Turns Chat Completions chunks into Anthropic's stream: <c>message_start</c>, <c>ping</c>, for each text or tool
/// call a <c>content_block_start</c>, <c>content_block_delta</c>s (<c>text_delta</c> / <c>input_json_delta</c>) and a
/// <c>content_block_stop</c>, then <c>message_delta</c> (stop_reason, usage) and <c>message_stop</c>.
/// </summary>
public sealed class AnthropicStreamWriter(HttpContext http, string messageId, string model, int estimatedInputTokens)
{
    private readonly StringBuilder pending = new();
    private readonly Dictionary<int, int> toolBlocks = [];
    private int blockCount;
    private int openBlock = -1;
    private bool openIsText;
    private string? finish;
    private JsonObject? usage;

    public Task StartAsync(CancellationToken ct)
    {
        Event("message_start", new JsonObject
        {
            ["type"] = "message_start",
            ["message"] = new JsonObject
            {
                ["id"] = messageId,
                ["type"] = "message",
                ["role"] = "assistant",
                ["model"] = model,
                ["content"] = new JsonArray(),
                ["stop_reason"] = null,
                ["stop_sequence"] = null,
                ["usage"] = new JsonObject { ["input_tokens"] = estimatedInputTokens, ["output_tokens"] = 0 },
            },
        });
        Event("ping", new JsonObject { ["type"] = "ping" });
        return FlushAsync(ct);
    }

    public void Add(JsonObject chunk)
    {
        if (chunk["usage"] is JsonObject u)
        {
            usage = u;
        }
        if (GatewayJson.FirstChoice(chunk) is not { } choice)
        {
            return;
        }
        var delta = choice["delta"] as JsonObject;
        if ((delta?["content"] as JsonValue)?.ToString() is { Length: > 0 } text)
        {
            if (openBlock < 0 || !openIsText)
            {
                Open(new JsonObject { ["type"] = "text", ["text"] = "" }, isText: true);
            }
            Event("content_block_delta", new JsonObject
            {
                ["type"] = "content_block_delta",
                ["index"] = openBlock,
                ["delta"] = new JsonObject { ["type"] = "text_delta", ["text"] = text },
            });
        }
        foreach (var call in (delta?["tool_calls"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var index = call["index"] is JsonValue iv && iv.TryGetValue<int>(out var i) ? i : 0;
            if (!toolBlocks.TryGetValue(index, out var block))
            {
                Open(new JsonObject
                {
                    ["type"] = "tool_use",
                    ["id"] = (call["id"] as JsonValue)?.ToString() ?? $"toolu_{messageId}_{index}",
                    ["name"] = (call["function"]?["name"] as JsonValue)?.ToString() ?? "",
                    ["input"] = new JsonObject(),
                }, isText: false);
                toolBlocks[index] = block = openBlock;
            }
            if ((call["function"]?["arguments"] as JsonValue)?.ToString() is { Length: > 0 } fragment && block == openBlock)
            {
                Event("content_block_delta", new JsonObject
                {
                    ["type"] = "content_block_delta",
                    ["index"] = block,
                    ["delta"] = new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = fragment },
                });
            }
        }
        if ((choice["finish_reason"] as JsonValue)?.ToString() is { } reason)
        {
            finish = reason;
        }
    }

    public Task FinishAsync(CancellationToken ct)
    {
        Close();
        var counted = AnthropicTranslator.Usage(usage);
        Event("message_delta", new JsonObject
        {
            ["type"] = "message_delta",
            ["delta"] = new JsonObject { ["stop_reason"] = AnthropicTranslator.StopReason(finish), ["stop_sequence"] = null },
            ["usage"] = counted,
        });
        Event("message_stop", new JsonObject { ["type"] = "message_stop" });
        return FlushAsync(ct);
    }

    public Task ErrorAsync(Domain.Errors.ApiProblem problem, CancellationToken ct)
    {
        Event("error", GatewayErrors.Body(GatewaySurface.Anthropic, problem));
        return FlushAsync(ct);
    }

    public async Task FlushAsync(CancellationToken ct)
    {
        if (pending.Length == 0)
        {
            return;
        }
        var text = pending.ToString();
        pending.Clear();
        await GatewayJson.WriteAsync(http, text, ct).ConfigureAwait(false);
    }

    private void Open(JsonObject block, bool isText)
    {
        Close();
        openBlock = blockCount++;
        openIsText = isText;
        Event("content_block_start", new JsonObject { ["type"] = "content_block_start", ["index"] = openBlock, ["content_block"] = block });
    }

    private void Close()
    {
        if (openBlock >= 0)
        {
            Event("content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = openBlock });
            openBlock = -1;
        }
    }

    private void Event(string type, JsonObject data) =>
        pending.Append("event: ").Append(type).Append('\n').Append("data: ").Append(data.ToJsonString(GatewayJson.Options)).Append("\n\n");
}
