using System.Text.Json;

namespace Agents.ModelSimulator.Completions;

// The subset of the OpenAI Chat Completions request the simulator reads; unknown fields are ignored.
// Names map to snake_case through SimJsonContext.

internal sealed record ChatRequest
{
    public string? Model { get; init; }
    public IReadOnlyList<RequestMessage>? Messages { get; init; }
    public IReadOnlyList<RequestTool>? Tools { get; init; }

    /// <summary>"none" | "auto" | "required" | {"type":"function","function":{"name":...}}; Undefined when absent.</summary>
    public JsonElement ToolChoice { get; init; }

    public double? Temperature { get; init; }
    public double? TopP { get; init; }
    public int? MaxTokens { get; init; }
    public int? MaxCompletionTokens { get; init; }
    public int? N { get; init; }
    public bool Stream { get; init; }
    public StreamOptions? StreamOptions { get; init; }
}

internal sealed record StreamOptions
{
    public bool IncludeUsage { get; init; }
}

internal sealed record RequestMessage
{
    public string? Role { get; init; }

    /// <summary>A string, an array of content parts, or null (assistant turns that only call tools).</summary>
    public JsonElement Content { get; init; }

    public IReadOnlyList<RequestToolCall>? ToolCalls { get; init; }
    public string? ToolCallId { get; init; }
}

internal sealed record RequestToolCall
{
    public string? Id { get; init; }
    public string? Type { get; init; }
    public RequestFunctionCall? Function { get; init; }
}

internal sealed record RequestFunctionCall
{
    public string? Name { get; init; }
    public string? Arguments { get; init; }
}

internal sealed record RequestTool
{
    public string? Type { get; init; }
    public RequestFunction? Function { get; init; }
}

internal sealed record RequestFunction
{
    public string? Name { get; init; }
    public string? Description { get; init; }
}
