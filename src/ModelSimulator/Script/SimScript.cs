namespace Agents.ModelSimulator.Script;

/// <summary>
/// What one request asked the simulator to do, from <c>[[sim ...]]</c> in the last user message or the
/// <c>x-sim</c> header. Every item is optional; an empty script gives the default answer.
/// </summary>
internal sealed class SimScript
{
    public const int MaxTokens = 100_000;

    public static SimScript Empty { get; } = new();

    /// <summary><c>tokens=N</c>: a generated answer of exactly N word tokens.</summary>
    public int? Tokens { get; set; }

    /// <summary><c>reply=...</c>: this exact text, split into word tokens.</summary>
    public string? Reply { get; set; }

    /// <summary><c>tool=name args=json</c> pairs and <c>tools=a,b</c>, in order.</summary>
    public List<ToolCallSpec> ToolCalls { get; } = [];

    /// <summary><c>args=</c> given before any <c>tool=</c>: arguments for tools taken from the request.</summary>
    public string? DefaultArgs { get; set; }

    /// <summary><c>steps=N</c>: N tool-call turns, then a final text.</summary>
    public int? Steps { get; set; }

    /// <summary><c>parallel=K</c>: tool calls per turn.</summary>
    public int? Parallel { get; set; }

    /// <summary><c>error=STATUS</c>.</summary>
    public int? ErrorStatus { get; set; }

    /// <summary><c>retry_after=S</c>: Retry-After header (seconds) on the error.</summary>
    public int? RetryAfterSeconds { get; set; }

    /// <summary><c>times=K</c>: error, hang and drop apply to the first K sightings of this exact request only.</summary>
    public int? Times { get; set; }

    /// <summary>
    /// <c>model=NAME</c>: error, hang and drop apply only to requests for this model (case-insensitive); other models
    /// answer normally, so a primary deployment can fail while its fallback answers the same conversation.
    /// </summary>
    public string? FailingModel { get; set; }

    /// <summary><c>hang</c>: never answer.</summary>
    public bool Hang { get; set; }

    /// <summary><c>drop=N</c>: abort the connection after N streamed deltas.</summary>
    public int? Drop { get; set; }

    /// <summary><c>ttft=MS</c>: delay before the first token.</summary>
    public int TimeToFirstTokenMs { get; set; }

    /// <summary><c>tps=N</c>: streamed deltas per second.</summary>
    public double? TokensPerSecond { get; set; }

    /// <summary><c>score=X</c>: judge answer with this score.</summary>
    public double? Score { get; set; }

    /// <summary><c>judge</c>: judge answer scored from keywords, whatever the model.</summary>
    public bool Judge { get; set; }

    /// <summary><c>cached=N</c>: report N prompt tokens as cached (capped at the prompt).</summary>
    public int? CachedTokens { get; set; }

    /// <summary>Whether this request may be failed on purpose (so its sightings need counting for <c>times=</c>).</summary>
    public bool HasFailure => ErrorStatus is not null || Hang || Drop is not null;

    /// <summary>Whether error, hang and drop apply to a request for <paramref name="model"/>.</summary>
    public bool FailsFor(string model) =>
        HasFailure && (FailingModel is null || string.Equals(FailingModel, model, StringComparison.OrdinalIgnoreCase));
}

/// <summary>One scripted tool call: a function name and its JSON arguments (an object, as text).</summary>
internal sealed record ToolCallSpec(string Name, string? Arguments);
