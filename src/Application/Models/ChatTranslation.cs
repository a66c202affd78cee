using System.ClientModel;
using System.Text.Encodings.Web;
using System.Text.Json;
using Agents.Domain.Conversations;
using Agents.Domain.Errors;
using Agents.Domain.Runs;
using Microsoft.Extensions.AI;
using AiMessage = Microsoft.Extensions.AI.ChatMessage;
using DomainMessage = Agents.Domain.Conversations.ChatMessage;

namespace Agents.Application.Models;

/// <summary>The domain's model call in Microsoft.Extensions.AI's terms and back, and the endpoint's failures as problems.</summary>
internal static class ChatTranslation
{
    // Arguments re-serialized from a parsed tool call keep their characters as the model wrote them (no \u escapes).
    private static readonly JsonSerializerOptions ArgumentsJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static List<AiMessage> ToMessages(IReadOnlyList<DomainMessage> messages) => messages.Select(ToMessage).ToList();

    public static ChatOptions ToOptions(ModelCall call)
    {
        var options = new ChatOptions
        {
            Temperature = (float?)call.Parameters.Temperature,
            TopP = (float?)call.Parameters.TopP,
            MaxOutputTokens = call.Parameters.MaxTokens,
        };
        if (call.Tools.Count > 0)
        {
            // Declarations only: the durable loop runs tools and asks for approvals itself (no function invocation here).
            options.Tools = call.Tools.Select(t => (AITool)AIFunctionFactory.CreateDeclaration(t.Name, t.Description, t.Parameters)).ToList();
        }
        return options;
    }

    public static ModelFinish Finish(ChatFinishReason? finish, int toolCalls) => finish switch
    {
        _ when finish == ChatFinishReason.ToolCalls => ModelFinish.ToolCalls,
        _ when finish == ChatFinishReason.Length => ModelFinish.Length,
        _ when finish == ChatFinishReason.ContentFilter => ModelFinish.ContentFilter,
        _ when toolCalls > 0 => ModelFinish.ToolCalls,
        _ => ModelFinish.Stop,
    };

    /// <summary>
    /// The arguments of a proposed call as JSON text. Arguments that were not JSON reach us only as the parse error (the
    /// library keeps no raw text), which is passed on as the arguments: the tool then answers that they are not valid
    /// JSON, as it would have for the raw text.
    /// </summary>
    public static string Arguments(FunctionCallContent call) => call.Exception is { } invalid
        ? $"(not JSON: {invalid.Message})"
        : JsonSerializer.Serialize(call.Arguments ?? new Dictionary<string, object?>(), ArgumentsJson);

    public static ModelCallException Translate(ClientResultException e)
    {
        var status = e.Status;
        TimeSpan? retryAfter = null;
        var raw = e.GetRawResponse();
        if (raw is not null && raw.Headers.TryGetValue("Retry-After", out var value) && int.TryParse(value, out var seconds))
        {
            retryAfter = TimeSpan.FromSeconds(seconds);
        }
        var transient = status is 408 or 429 or >= 500 || status == 0;
        var code = status switch
        {
            429 => "model_rate_limited",
            400 => "model_rejected_request",
            401 or 403 => "model_auth_failed",
            404 => "model_deployment_not_found",
            _ => "model_error",
        };
        return new ModelCallException(
            new ApiProblem(status is 429 ? 429 : 502, code, "The model call failed", $"The model endpoint answered {status}."),
            transient, retryAfter, e, status == 0 ? null : status);
    }

    public static ModelCallException Failure(int status, string code, string title, string detail, bool transient, Exception? inner = null) =>
        new(new ApiProblem(status, code, title, detail), transient, null, inner);

    private static AiMessage ToMessage(DomainMessage m) => m.Role switch
    {
        MessageRole.System => new AiMessage(ChatRole.System, m.Content),
        MessageRole.User => new AiMessage(ChatRole.User, m.Content),
        MessageRole.Tool => new AiMessage(ChatRole.Tool, [new FunctionResultContent(m.ToolCallId ?? "", m.Content)]),
        _ when m.ToolCalls is { Count: > 0 } calls => new AiMessage(ChatRole.Assistant,
            [.. m.Content.Length > 0 ? [new TextContent(m.Content)] : Array.Empty<AIContent>(), .. calls.Select(ToCall)]),
        _ => new AiMessage(ChatRole.Assistant, m.Content),
    };

    private static FunctionCallContent ToCall(ToolCall call) => new(call.Id, call.Name, ParseArguments(call.Arguments));

    /// <summary>A stored call's arguments as the library wants them; text that is not a JSON object goes back as none.</summary>
    private static Dictionary<string, object?> ParseArguments(string arguments)
    {
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, object?>>(arguments) ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }
}
