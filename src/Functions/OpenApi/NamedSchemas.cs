using System.Text.Json.Nodes;

namespace Agents.Functions.OpenApi;

/// <summary>
/// The schemas no C# type of ours describes: the ProblemDetails every API error is, the event streams, and the
/// gateway's OpenAI and Anthropic bodies (passed through as JSON, so described here by the members we rely on, with
/// any others allowed, as those providers' own specifications do).
/// </summary>
public static class NamedSchemas
{
    public const string Problem = "Problem";
    public const string RunEventStream = "RunEventStream";
    public const string ActivityEventStream = "ActivityEventStream";
    public const string OpenApiDocument = "OpenApiDocument";
    public const string Html = "Html";
    public const string OpenAiChatCompletionRequest = "OpenAiChatCompletionRequest";
    public const string OpenAiChatCompletion = "OpenAiChatCompletion";
    public const string OpenAiChatCompletionStream = "OpenAiChatCompletionStream";
    public const string OpenAiModelList = "OpenAiModelList";
    public const string OpenAiError = "OpenAiError";
    public const string AnthropicMessageRequest = "AnthropicMessageRequest";
    public const string AnthropicMessage = "AnthropicMessage";
    public const string AnthropicMessageStream = "AnthropicMessageStream";
    public const string AnthropicModelList = "AnthropicModelList";
    public const string AnthropicError = "AnthropicError";

    public static void AddTo(JsonObject schemas)
    {
        schemas[Problem] = Object(
            "An RFC 9457 problem: a stable type and code, what was wrong, and the request's trace id.",
            ["type", "title", "status", "code"],
            ("type", new JsonObject { ["type"] = "string", ["format"] = "uri" }),
            ("title", String()),
            ("status", new JsonObject { ["type"] = "integer" }),
            ("detail", String()),
            ("instance", String()),
            ("code", String("Stable machine-readable code, e.g. thread_not_found")),
            ("traceId", String()),
            ("errors", new JsonObject
            {
                ["type"] = "object",
                ["description"] = "validation_failed: the messages for each field",
                ["additionalProperties"] = new JsonObject { ["type"] = "array", ["items"] = String() },
            }),
            ("retryAfter", new JsonObject { ["type"] = "integer", ["description"] = "Seconds to wait before trying again (also the Retry-After header)" }));
        schemas[RunEventStream] = Stream(
            "Server-Sent Events with ids: run.status, message.delta, message.completed, tool_call.created, tool_call.approval_required, tool_call.completed, usage, error, and done last; heartbeat comments between. Resume with Last-Event-ID.");
        schemas[ActivityEventStream] = Stream("Server-Sent Events, one activity event each, with heartbeat comments.");
        schemas[Html] = new JsonObject { ["type"] = "string" };
        schemas[OpenApiDocument] = new JsonObject { ["type"] = "object", ["required"] = new JsonArray("openapi", "info", "paths"), ["description"] = "An OpenAPI 3.1 document" };

        schemas[OpenAiChatCompletionRequest] = Object(
            "OpenAI's Chat Completions request; members not listed pass to the model as they are.", ["model", "messages"],
            ("model", String()),
            ("messages", new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "object", ["additionalProperties"] = true } }),
            ("stream", new JsonObject { ["type"] = "boolean" }),
            ("tools", new JsonObject { ["type"] = "array" }));
        schemas[OpenAiChatCompletion] = Object(
            "OpenAI's chat.completion.", ["id", "object", "choices"],
            ("id", String()), ("object", new JsonObject { ["const"] = "chat.completion" }), ("model", String()),
            ("choices", new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "object", ["additionalProperties"] = true } }),
            ("usage", new JsonObject { ["type"] = "object", ["additionalProperties"] = true }));
        schemas[OpenAiChatCompletionStream] = Stream("Server-Sent Events: data: {chat.completion.chunk} ... data: [DONE]; an error mid-stream is data: {\"error\": ...}.");
        schemas[OpenAiModelList] = Object(
            "OpenAI's model list.", ["object", "data"],
            ("object", new JsonObject { ["const"] = "list" }),
            ("data", new JsonObject { ["type"] = "array", ["items"] = Object(null, ["id", "object"], ("id", String()), ("object", new JsonObject { ["const"] = "model" })) }));
        schemas[OpenAiError] = Object(
            "OpenAI's error format.", ["error"],
            ("error", Object(null, ["message", "type"], ("message", String()), ("type", String()), ("code", new JsonObject { ["type"] = new JsonArray("string", "null") }))));

        schemas[AnthropicMessageRequest] = Object(
            "Anthropic's Messages request.", ["model", "messages", "max_tokens"],
            ("model", String()),
            ("messages", new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "object", ["additionalProperties"] = true } }),
            ("max_tokens", new JsonObject { ["type"] = "integer" }),
            ("stream", new JsonObject { ["type"] = "boolean" }));
        schemas[AnthropicMessage] = Object(
            "Anthropic's message.", ["id", "type", "role", "content"],
            ("id", String()), ("type", new JsonObject { ["const"] = "message" }), ("role", new JsonObject { ["const"] = "assistant" }),
            ("content", new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "object", ["additionalProperties"] = true } }),
            ("usage", new JsonObject { ["type"] = "object", ["additionalProperties"] = true }));
        schemas[AnthropicMessageStream] = Stream("Server-Sent Events: message_start, content_block_start/delta/stop, message_delta, message_stop; an error is event: error.");
        schemas[AnthropicModelList] = Object(
            "Anthropic's model list.", ["data", "has_more"],
            ("data", new JsonObject { ["type"] = "array", ["items"] = Object(null, ["id", "type"], ("id", String()), ("type", new JsonObject { ["const"] = "model" })) }),
            ("has_more", new JsonObject { ["type"] = "boolean" }));
        schemas[AnthropicError] = Object(
            "Anthropic's error format.", ["type", "error"],
            ("type", new JsonObject { ["const"] = "error" }),
            ("error", Object(null, ["type", "message"], ("type", String()), ("message", String()))));
    }

    private static JsonObject String(string? description = null) =>
        description is null ? new JsonObject { ["type"] = "string" } : new JsonObject { ["type"] = "string", ["description"] = description };

    private static JsonObject Stream(string description) => new() { ["type"] = "string", ["description"] = description };

    private static JsonObject Object(string? description, string[] required, params (string Name, JsonNode Schema)[] properties)
    {
        var node = new JsonObject { ["type"] = "object" };
        if (description is not null)
        {
            node["description"] = description;
        }
        node["required"] = new JsonArray(required.Select(r => (JsonNode)r).ToArray());
        node["properties"] = new JsonObject(properties.Select(p => KeyValuePair.Create(p.Name, (JsonNode?)p.Schema)));
        return node;
    }
}
