using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Agents.ModelSimulator.Tokens;

namespace Agents.ModelSimulator.Completions;

/// <summary>A validated request reduced to what the simulator decides on: texts, tool turns, a stable hash, prompt tokens.</summary>
internal sealed class Conversation
{
    private static readonly HashSet<string> Roles = ["system", "developer", "user", "assistant", "tool", "function"];

    public required string Model { get; init; }

    /// <summary>Text of the last user message: where a <c>[[sim ...]]</c> directive and judge keywords are looked for.</summary>
    public required string LastUserText { get; init; }

    /// <summary>Assistant turns that called tools after the last user message: the step counter of <c>steps=N</c>.</summary>
    public required int ToolTurnsSinceLastUser { get; init; }

    /// <summary>SHA-256 of the messages (not of model, options or stream flag), so streamed and plain answers match.</summary>
    public required byte[] Hash { get; init; }

    public required int PromptTokens { get; init; }

    public required IReadOnlyList<string> ToolNames { get; init; }

    public string HashHex(int bytes) => Convert.ToHexStringLower(Hash, 0, bytes);

    public static Conversation? TryCreate(ChatRequest request, string? deploymentModel, out RequestError? error)
    {
        error = Validate(request, deploymentModel);
        if (error is not null)
        {
            return null;
        }

        var canonical = new StringBuilder();
        var promptTokens = 0;
        var toolTurns = 0;
        var lastUserText = "";
        var messages = request.Messages!;
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            if (!TryGetText(message.Content, out var text))
            {
                error = new RequestError($"messages[{i}].content must be a string, an array of content parts or null.", $"messages[{i}].content");
                return null;
            }

            var length = text.Length;
            canonical.Append(message.Role).Append('\u001f').Append(text).Append('\u001f').Append(message.ToolCallId).Append('\u001f');
            foreach (var call in message.ToolCalls ?? [])
            {
                var name = call.Function?.Name ?? "";
                var arguments = call.Function?.Arguments ?? "";
                length += name.Length + arguments.Length;
                canonical.Append(call.Id).Append('\u001f').Append(name).Append('\u001f').Append(arguments).Append('\u001f');
            }

            canonical.Append('\u001e');
            promptTokens += Tokenizer.PromptTokensPerMessage + Tokenizer.CountPromptChars(length);

            if (message.Role == "user")
            {
                lastUserText = text;
                toolTurns = 0;
            }
            else if (message.Role == "assistant" && message.ToolCalls is { Count: > 0 })
            {
                toolTurns++;
            }
        }

        var toolNames = new List<string>();
        foreach (var tool in request.Tools ?? [])
        {
            var name = tool.Function!.Name!;
            toolNames.Add(name);
            promptTokens += Tokenizer.PromptTokensPerTool
                + Tokenizer.CountPromptChars(name.Length + (tool.Function.Description?.Length ?? 0));
        }

        return new Conversation
        {
            Model = request.Model ?? deploymentModel!,
            LastUserText = lastUserText,
            ToolTurnsSinceLastUser = toolTurns,
            Hash = SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())),
            PromptTokens = promptTokens,
            ToolNames = toolNames,
        };
    }

    private static RequestError? Validate(ChatRequest request, string? deploymentModel)
    {
        if (string.IsNullOrEmpty(request.Model) && string.IsNullOrEmpty(deploymentModel))
        {
            return new RequestError("You must provide a model parameter.", "model");
        }

        if (request.Messages is not { Count: > 0 } messages)
        {
            return new RequestError("'messages' is a required property and must not be empty.", "messages");
        }

        for (var i = 0; i < messages.Count; i++)
        {
            if (messages[i] is null)
            {
                return new RequestError($"messages[{i}] must be an object with a role.", $"messages[{i}]");
            }
            var role = messages[i].Role;
            if (role is null || !Roles.Contains(role))
            {
                return new RequestError($"messages[{i}].role must be one of system, developer, user, assistant, tool.", $"messages[{i}].role");
            }

            if (role == "tool" && string.IsNullOrEmpty(messages[i].ToolCallId))
            {
                return new RequestError($"messages[{i}].tool_call_id is required for a tool message.", $"messages[{i}].tool_call_id");
            }
        }

        var tools = request.Tools ?? [];
        for (var i = 0; i < tools.Count; i++)
        {
            if (tools[i].Type is not (null or "function") || string.IsNullOrEmpty(tools[i].Function?.Name))
            {
                return new RequestError($"tools[{i}] must be a function tool with a name.", $"tools[{i}]");
            }
        }

        return request switch
        {
            { N: not (null or 1) } => new RequestError("The simulator supports n=1 only.", "n"),
            { Temperature: < 0 or > 2 } => new RequestError("temperature must be between 0 and 2.", "temperature"),
            { TopP: < 0 or > 1 } => new RequestError("top_p must be between 0 and 1.", "top_p"),
            { MaxTokens: < 1 } => new RequestError("max_tokens must be at least 1.", "max_tokens"),
            { MaxCompletionTokens: < 1 } => new RequestError("max_completion_tokens must be at least 1.", "max_completion_tokens"),
            _ => null,
        };
    }

    private static bool TryGetText(JsonElement content, out string text)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                text = "";
                return true;
            case JsonValueKind.String:
                text = content.GetString()!;
                return true;
            case JsonValueKind.Array:
                // Text parts joined; images and audio do not count (the simulator cannot see them).
                var builder = new StringBuilder();
                foreach (var part in content.EnumerateArray())
                {
                    if (part.ValueKind != JsonValueKind.Object)
                    {
                        text = "";
                        return false;
                    }

                    if (part.TryGetProperty("text", out var partText) && partText.ValueKind == JsonValueKind.String)
                    {
                        builder.Append(partText.GetString());
                    }
                }

                text = builder.ToString();
                return true;
            default:
                text = "";
                return false;
        }
    }
}

/// <summary>Why a request was rejected with 400, and which parameter caused it.</summary>
internal sealed record RequestError(string Message, string? Param);
