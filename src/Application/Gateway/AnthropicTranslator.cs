using System.Text.Json;
using System.Text.Json.Nodes;
using Agents.Domain.Errors;

namespace Agents.Application.Gateway;

/// <summary>
/// Anthropic Messages ⇄ Chat Completions. Request: <c>system</c> → a system message; <c>text</c> blocks → content;
/// <c>tool_use</c> blocks → the assistant's <c>tool_calls</c>; <c>tool_result</c> blocks → <c>tool</c> messages
/// (placed before the user's text, as Chat Completions wants them right after the assistant's calls); tools with
/// <c>input_schema</c> → function tools; <c>tool_choice</c>, <c>max_tokens</c>, <c>temperature</c>, <c>top_p</c>,
/// <c>stop_sequences</c>, <c>stream</c>, <c>metadata.user_id</c> mapped. Images, documents and server tools are refused
/// with a 400 naming the field; <c>top_k</c> and thinking blocks are dropped.
/// </summary>
public static class AnthropicTranslator
{
    public static JsonObject ToChatRequest(JsonObject a)
    {
        var chat = new JsonObject();
        chat["model"] = a["model"] is JsonValue m && m.TryGetValue<string>(out var model) && model.Length > 0
            ? model
            : throw Invalid("model", "is required");
        if (!Policies.JsonNumber.TryRead(a["max_tokens"], out var maxTokens) || maxTokens < 1 || maxTokens % 1 != 0)
        {
            throw Invalid("max_tokens", "is required: a positive integer");
        }
        chat["max_tokens"] = (int)maxTokens;

        var messages = new JsonArray();
        if (SystemText(a["system"]) is { Length: > 0 } system)
        {
            messages.Add(new JsonObject { ["role"] = "system", ["content"] = system });
        }
        if (a["messages"] is not JsonArray { Count: > 0 } input)
        {
            throw Invalid("messages", "must be a non-empty array");
        }
        for (var i = 0; i < input.Count; i++)
        {
            AddMessage(messages, input[i] as JsonObject ?? throw Invalid($"messages.{i}", "must be an object"), i);
        }
        chat["messages"] = messages;

        if (a["tools"] is JsonArray tools && tools.Count > 0)
        {
            chat["tools"] = new JsonArray(tools.Select((t, i) => (JsonNode)ToTool(t as JsonObject, i)).ToArray());
        }
        if (a["tool_choice"] is JsonObject choice)
        {
            MapToolChoice(chat, choice);
        }
        Copy(a, chat, "temperature");
        Copy(a, chat, "top_p");
        if (a["stop_sequences"] is JsonArray { Count: > 0 } stop)
        {
            chat["stop"] = stop.DeepClone();
        }
        if (a["stream"] is JsonValue s && s.TryGetValue<bool>(out var stream))
        {
            chat["stream"] = stream;
        }
        if (a["metadata"]?["user_id"] is JsonValue user && user.TryGetValue<string>(out var userId))
        {
            chat["user"] = userId;
        }
        return chat;
    }

    /// <summary>A Chat Completions answer as an Anthropic message.</summary>
    public static JsonObject ToMessage(JsonObject completion, string messageId, string model)
    {
        var choice = GatewayJson.FirstChoice(completion);
        var message = choice?["message"] as JsonObject;
        var content = new JsonArray();
        if ((message?["content"] as JsonValue)?.ToString() is { Length: > 0 } text)
        {
            content.Add(new JsonObject { ["type"] = "text", ["text"] = text });
        }
        foreach (var call in (message?["tool_calls"] as JsonArray ?? []).OfType<JsonObject>())
        {
            content.Add(new JsonObject
            {
                ["type"] = "tool_use",
                ["id"] = (call["id"] as JsonValue)?.ToString(),
                ["name"] = (call["function"]?["name"] as JsonValue)?.ToString(),
                ["input"] = ParseInput((call["function"]?["arguments"] as JsonValue)?.ToString()),
            });
        }
        return new JsonObject
        {
            ["id"] = messageId,
            ["type"] = "message",
            ["role"] = "assistant",
            ["model"] = model,
            ["content"] = content,
            ["stop_reason"] = StopReason((choice?["finish_reason"] as JsonValue)?.ToString()),
            ["stop_sequence"] = null,
            ["usage"] = Usage(completion["usage"] as JsonObject),
        };
    }

    public static string StopReason(string? finish) => finish switch
    {
        "length" => "max_tokens",
        "tool_calls" or "function_call" => "tool_use",
        "content_filter" => "refusal",
        _ => "end_turn",
    };

    public static JsonObject Usage(JsonObject? usage)
    {
        static int Int(JsonNode? n) => (int)(Policies.JsonNumber.Read(n) ?? 0);
        var result = new JsonObject
        {
            ["input_tokens"] = Int(usage?["prompt_tokens"]),
            ["output_tokens"] = Int(usage?["completion_tokens"]),
        };
        if (Int(usage?["prompt_tokens_details"]?["cached_tokens"]) is > 0 and var cached)
        {
            result["cache_read_input_tokens"] = cached;
        }
        return result;
    }

    /// <summary>Tool arguments (JSON text the model wrote) as the <c>input</c> object; text that is not an object is kept under <c>_raw</c>.</summary>
    public static JsonObject ParseInput(string? arguments)
    {
        if (string.IsNullOrWhiteSpace(arguments))
        {
            return [];
        }
        try
        {
            return JsonNode.Parse(arguments) as JsonObject ?? new JsonObject { ["_raw"] = arguments };
        }
        catch (JsonException)
        {
            return new JsonObject { ["_raw"] = arguments };
        }
    }

    private static void AddMessage(JsonArray messages, JsonObject message, int i)
    {
        var role = (message["role"] as JsonValue)?.ToString();
        if (role is not ("user" or "assistant"))
        {
            throw Invalid($"messages.{i}.role", "must be 'user' or 'assistant'");
        }
        switch (message["content"])
        {
            case JsonValue v when v.TryGetValue<string>(out var text):
                messages.Add(new JsonObject { ["role"] = role, ["content"] = text });
                return;
            case JsonArray blocks:
                if (role == "user")
                {
                    AddUserBlocks(messages, blocks, i);
                }
                else
                {
                    AddAssistantBlocks(messages, blocks, i);
                }
                return;
            default:
                throw Invalid($"messages.{i}.content", "must be a string or an array of content blocks");
        }
    }

    private static void AddUserBlocks(JsonArray messages, JsonArray blocks, int i)
    {
        var texts = new List<string>();
        for (var j = 0; j < blocks.Count; j++)
        {
            var block = blocks[j] as JsonObject ?? throw Invalid($"messages.{i}.content.{j}", "must be an object");
            switch ((block["type"] as JsonValue)?.ToString())
            {
                case "text":
                    texts.Add((block["text"] as JsonValue)?.ToString() ?? "");
                    break;
                case "tool_result":
                    var result = ResultText(block["content"]);
                    var isError = block["is_error"] is JsonValue e && e.TryGetValue<bool>(out var error) && error;
                    messages.Add(new JsonObject
                    {
                        ["role"] = "tool",
                        ["tool_call_id"] = (block["tool_use_id"] as JsonValue)?.ToString() ?? throw Invalid($"messages.{i}.content.{j}.tool_use_id", "is required"),
                        ["content"] = isError ? $"Error: {result}" : result,
                    });
                    break;
                case var type:
                    throw Unsupported($"messages.{i}.content.{j}.type", $"content blocks of type '{type}' are not supported by the gateway; send text");
            }
        }
        if (texts.Count > 0)
        {
            messages.Add(new JsonObject { ["role"] = "user", ["content"] = string.Join("\n\n", texts) });
        }
    }

    private static void AddAssistantBlocks(JsonArray messages, JsonArray blocks, int i)
    {
        var texts = new List<string>();
        var calls = new JsonArray();
        for (var j = 0; j < blocks.Count; j++)
        {
            var block = blocks[j] as JsonObject ?? throw Invalid($"messages.{i}.content.{j}", "must be an object");
            switch ((block["type"] as JsonValue)?.ToString())
            {
                case "text":
                    texts.Add((block["text"] as JsonValue)?.ToString() ?? "");
                    break;
                case "tool_use":
                    calls.Add(new JsonObject
                    {
                        ["id"] = (block["id"] as JsonValue)?.ToString(),
                        ["type"] = "function",
                        ["function"] = new JsonObject
                        {
                            ["name"] = (block["name"] as JsonValue)?.ToString(),
                            ["arguments"] = (block["input"] ?? new JsonObject()).ToJsonString(GatewayJson.Options),
                        },
                    });
                    break;
                case "thinking" or "redacted_thinking":
                    break;
                case var type:
                    throw Unsupported($"messages.{i}.content.{j}.type", $"content blocks of type '{type}' are not supported by the gateway");
            }
        }
        var message = new JsonObject { ["role"] = "assistant", ["content"] = texts.Count > 0 ? string.Join("", texts) : null };
        if (calls.Count > 0)
        {
            message["tool_calls"] = calls;
        }
        messages.Add(message);
    }

    private static JsonObject ToTool(JsonObject? tool, int i)
    {
        if (tool is null)
        {
            throw Invalid($"tools.{i}", "must be an object");
        }
        if ((tool["type"] as JsonValue)?.ToString() is { } type && type != "custom")
        {
            throw Unsupported($"tools.{i}.type", $"server tools ('{type}') are not supported by the gateway");
        }
        var function = new JsonObject
        {
            ["name"] = (tool["name"] as JsonValue)?.ToString() ?? throw Invalid($"tools.{i}.name", "is required"),
            ["parameters"] = tool["input_schema"]?.DeepClone() ?? throw Invalid($"tools.{i}.input_schema", "is required"),
        };
        if (tool["description"] is JsonValue d)
        {
            function["description"] = d.ToString();
        }
        return new JsonObject { ["type"] = "function", ["function"] = function };
    }

    private static void MapToolChoice(JsonObject chat, JsonObject choice)
    {
        chat["tool_choice"] = (choice["type"] as JsonValue)?.ToString() switch
        {
            "auto" => "auto",
            "any" => "required",
            "none" => "none",
            "tool" => new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = (choice["name"] as JsonValue)?.ToString() } },
            _ => throw Invalid("tool_choice.type", "must be 'auto', 'any', 'tool' or 'none'"),
        };
        if (choice["disable_parallel_tool_use"] is JsonValue p && p.TryGetValue<bool>(out var disable) && disable)
        {
            chat["parallel_tool_calls"] = false;
        }
    }

    private static string? SystemText(JsonNode? system) => system switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonArray blocks => string.Join("\n\n", blocks.Select(b => (b?["text"] as JsonValue)?.ToString()).OfType<string>()),
        _ => null,
    };

    private static string ResultText(JsonNode? content) => content switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonArray blocks => string.Join("\n", blocks.Select(b => (b?["text"] as JsonValue)?.ToString()).OfType<string>()),
        _ => "",
    };

    private static void Copy(JsonObject from, JsonObject to, string key)
    {
        if (from[key] is { } value)
        {
            to[key] = value.DeepClone();
        }
    }

    private static ApiProblemException Invalid(string param, string message) => new(GatewayProblems.Invalid(param, message));

    private static ApiProblemException Unsupported(string param, string message) => new(GatewayProblems.Unsupported(param, message));
}
