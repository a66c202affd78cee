using System.Text.Encodings.Web;
using System.Text.Json;

namespace Agents.ModelSimulator.Completions;

/// <summary>Fields shared by a completion and all of its chunks.</summary>
internal readonly record struct CompletionHeader(string Id, long Created, string Model);

internal readonly record struct TokenUsage(int PromptTokens, int CompletionTokens, int CachedTokens)
{
    public int TotalTokens => PromptTokens + CompletionTokens;
}

/// <summary>
/// Writes <c>chat.completion</c> and <c>chat.completion.chunk</c> objects field by field, in the order and with
/// the nulls OpenAI sends, so clients that are strict about the wire format see what production sends them.
/// </summary>
internal static class CompletionJson
{
    private const string Fingerprint = "fp_simulator";

    /// <summary>Escapes only what JSON requires (<c>\"</c>, not <c>\u0022</c>), like OpenAI; nothing here lands in HTML.</summary>
    public static JsonWriterOptions WriterOptions { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void WriteCompletion(Utf8JsonWriter json, CompletionHeader header, SimReply reply, TokenUsage usage)
    {
        json.WriteStartObject();
        WriteHeader(json, header, "chat.completion");
        json.WriteStartArray("choices");
        json.WriteStartObject();
        json.WriteNumber("index", 0);
        json.WriteStartObject("message");
        json.WriteString("role", "assistant");
        if (reply is TextReply text)
        {
            json.WriteString("content", text.Content);
        }
        else if (reply is ToolCallsReply tools)
        {
            json.WriteNull("content");
            json.WriteStartArray("tool_calls");
            foreach (var call in tools.Calls)
            {
                json.WriteStartObject();
                json.WriteString("id", call.Id);
                json.WriteString("type", "function");
                json.WriteStartObject("function");
                json.WriteString("name", call.Name);
                json.WriteString("arguments", call.Arguments);
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        json.WriteNull("refusal");
        json.WriteStartArray("annotations");
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteNull("logprobs");
        json.WriteString("finish_reason", reply.FinishReason);
        json.WriteEndObject();
        json.WriteEndArray();
        WriteUsage(json, usage);
        json.WriteString("service_tier", "default");
        json.WriteEndObject();
    }

    /// <summary>First chunk of a text answer: the role, with empty content.</summary>
    public static void WriteRoleChunk(Utf8JsonWriter json, CompletionHeader header, bool includeUsage)
    {
        BeginChunk(json, header);
        json.WriteString("role", "assistant");
        json.WriteString("content", "");
        json.WriteNull("refusal");
        EndChunk(json, null, includeUsage);
    }

    public static void WriteContentChunk(Utf8JsonWriter json, CompletionHeader header, bool includeUsage, string content)
    {
        BeginChunk(json, header);
        json.WriteString("content", content);
        EndChunk(json, null, includeUsage);
    }

    /// <summary>Opens tool call <paramref name="index"/> (id, type, name, empty arguments); the first also carries the role.</summary>
    public static void WriteToolCallStartChunk(Utf8JsonWriter json, CompletionHeader header, bool includeUsage, int index, PlannedToolCall call)
    {
        BeginChunk(json, header);
        if (index == 0)
        {
            json.WriteString("role", "assistant");
            json.WriteNull("content");
        }

        json.WriteStartArray("tool_calls");
        json.WriteStartObject();
        json.WriteNumber("index", index);
        json.WriteString("id", call.Id);
        json.WriteString("type", "function");
        json.WriteStartObject("function");
        json.WriteString("name", call.Name);
        json.WriteString("arguments", "");
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndArray();
        if (index == 0)
        {
            json.WriteNull("refusal");
        }

        EndChunk(json, null, includeUsage);
    }

    public static void WriteToolArgumentsChunk(Utf8JsonWriter json, CompletionHeader header, bool includeUsage, int index, string fragment)
    {
        BeginChunk(json, header);
        json.WriteStartArray("tool_calls");
        json.WriteStartObject();
        json.WriteNumber("index", index);
        json.WriteStartObject("function");
        json.WriteString("arguments", fragment);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndArray();
        EndChunk(json, null, includeUsage);
    }

    public static void WriteFinishChunk(Utf8JsonWriter json, CompletionHeader header, bool includeUsage, string finishReason)
    {
        BeginChunk(json, header);
        EndChunk(json, finishReason, includeUsage);
    }

    /// <summary>The extra last chunk of <c>stream_options.include_usage</c>: no choices, only usage.</summary>
    public static void WriteUsageChunk(Utf8JsonWriter json, CompletionHeader header, TokenUsage usage)
    {
        json.WriteStartObject();
        WriteHeader(json, header, "chat.completion.chunk");
        json.WriteStartArray("choices");
        json.WriteEndArray();
        WriteUsage(json, usage);
        json.WriteEndObject();
    }

    private static void BeginChunk(Utf8JsonWriter json, CompletionHeader header)
    {
        json.WriteStartObject();
        WriteHeader(json, header, "chat.completion.chunk");
        json.WriteStartArray("choices");
        json.WriteStartObject();
        json.WriteNumber("index", 0);
        json.WriteStartObject("delta");
    }

    private static void EndChunk(Utf8JsonWriter json, string? finishReason, bool includeUsage)
    {
        json.WriteEndObject();
        json.WriteNull("logprobs");
        if (finishReason is null)
        {
            json.WriteNull("finish_reason");
        }
        else
        {
            json.WriteString("finish_reason", finishReason);
        }

        json.WriteEndObject();
        json.WriteEndArray();

        // OpenAI adds "usage":null to every chunk only when usage was asked for.
        if (includeUsage)
        {
            json.WriteNull("usage");
        }

        json.WriteEndObject();
    }

    private static void WriteHeader(Utf8JsonWriter json, CompletionHeader header, string kind)
    {
        json.WriteString("id", header.Id);
        json.WriteString("object", kind);
        json.WriteNumber("created", header.Created);
        json.WriteString("model", header.Model);
        json.WriteString("system_fingerprint", Fingerprint);
    }

    private static void WriteUsage(Utf8JsonWriter json, TokenUsage usage)
    {
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", usage.PromptTokens);
        json.WriteNumber("completion_tokens", usage.CompletionTokens);
        json.WriteNumber("total_tokens", usage.TotalTokens);
        json.WriteStartObject("prompt_tokens_details");
        json.WriteNumber("cached_tokens", usage.CachedTokens);
        json.WriteNumber("audio_tokens", 0);
        json.WriteEndObject();
        json.WriteStartObject("completion_tokens_details");
        json.WriteNumber("reasoning_tokens", 0);
        json.WriteNumber("audio_tokens", 0);
        json.WriteNumber("accepted_prediction_tokens", 0);
        json.WriteNumber("rejected_prediction_tokens", 0);
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
