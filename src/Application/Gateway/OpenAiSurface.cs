using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Agents.Application.Http;
using Agents.Domain.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Agents.Application.Gateway;

/// <summary>
/// The OpenAI-compatible surface: <c>POST /api/openai/v1/chat/completions</c> (streamed or not, tools; the body is
/// forwarded as it is, so fields we do not model survive) and <c>GET /api/openai/v1/models</c>.
/// </summary>
public static class OpenAiSurface
{
    public static async Task<IResult> ChatCompletions(HttpContext http, ChatGateway gateway)
    {
        var ct = http.RequestAborted;
        var request = await GatewayJson.ReadObjectAsync(http, ct);
        await using var call = await gateway.BeginAsync(http, GatewaySurface.OpenAi, request, ct);
        if (!call.Stream)
        {
            return Results.Content((await call.CompleteAsync(ct)).ToJsonString(GatewayJson.Options), "application/json");
        }
        await using var chunks = call.StreamAsync(ct).GetAsyncEnumerator(ct);
        // The first chunk before the headers: a failure up to there is still an ordinary error response.
        var hasFirst = await chunks.MoveNextAsync();
        GatewayJson.StartEventStream(http);
        var text = new StringBuilder();
        for (var more = hasFirst; more; more = await chunks.MoveNextAsync())
        {
            var chunk = chunks.Current;
            switch (chunk.Kind)
            {
                case ChunkKind.Error:
                    call.Fail(chunk.Problem!);
                    await GatewayJson.WriteAsync(http, $"data: {GatewayErrors.Body(GatewaySurface.OpenAi, chunk.Problem!).ToJsonString(GatewayJson.Options)}\n\n", ct);
                    return Results.Empty;
                case ChunkKind.Usage when !call.ClientWantsUsage:
                    continue;
                default:
                    // Unchanged chunks pass as they came (with "usage": null once usage is asked for, as OpenAI's do).
                    text.Clear().Append("data: ").Append(chunk.Raw ?? chunk.Json!.ToJsonString(GatewayJson.Options)).Append("\n\n");
                    await GatewayJson.WriteAsync(http, text.ToString(), ct);
                    break;
            }
        }
        await GatewayJson.WriteAsync(http, "data: [DONE]\n\n", ct);
        return Results.Empty;
    }

    public static async Task<IResult> Models(HttpContext http, GatewayModels models)
    {
        var ids = await models.ListAsync(http.RequestAborted);
        var data = new JsonArray(ids.Select(id => (JsonNode)new JsonObject
        {
            ["id"] = id,
            ["object"] = "model",
            ["created"] = 0,
            ["owned_by"] = "agents",
        }).ToArray());
        return Results.Content(new JsonObject { ["object"] = "list", ["data"] = data }.ToJsonString(GatewayJson.Options), "application/json");
    }
}

/// <summary>Reading and writing of the gateway's bodies: JSON in (any fields), SSE out with a flush per event.</summary>
public static class GatewayJson
{
    /// <summary>Compact JSON without escaping quotes and non-ASCII text as \uXXXX (bodies go to HTTP clients, not into HTML).</summary>
    public static readonly JsonSerializerOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The first choice of a completion or chunk; null when there is none (the usage chunk has <c>"choices": []</c>).</summary>
    public static JsonObject? FirstChoice(JsonObject? completion) =>
        completion?["choices"] is JsonArray { Count: > 0 } choices ? choices[0] as JsonObject : null;

    public static async Task<JsonObject> ReadObjectAsync(HttpContext http, CancellationToken ct)
    {
        var request = http.Request;
        if (!request.HasJsonContentType())
        {
            throw new ApiProblemException(Problems.UnsupportedMediaType(request.ContentType));
        }
        try
        {
            return await JsonNode.ParseAsync(request.Body, cancellationToken: ct).ConfigureAwait(false) as JsonObject
                ?? throw new ApiProblemException(Problems.BodyRequired());
        }
        catch (JsonException e)
        {
            throw new ApiProblemException(Problems.MalformedJson(e.Message));
        }
    }

    public static void StartEventStream(HttpContext http)
    {
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache, no-transform";
        response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
    }

    public static async Task WriteAsync(HttpContext http, string text, CancellationToken ct)
    {
        await http.Response.WriteAsync(text, ct).ConfigureAwait(false);
        await http.Response.Body.FlushAsync(ct).ConfigureAwait(false);
    }
}
