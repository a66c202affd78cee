namespace Agents.ModelSimulator.Completions;

/// <summary>Source-generated log messages: structured, and free when the level is off (benchmarks run at Warning).</summary>
internal static partial class SimulatorLog
{
    [LoggerMessage(1, LogLevel.Debug, "Completion {CompletionId} for {Model}: {FinishReason}, {PromptTokens} prompt + {CompletionTokens} completion tokens, stream {Stream}")]
    public static partial void Completed(ILogger logger, string completionId, string model, string finishReason, int promptTokens, int completionTokens, bool stream);

    [LoggerMessage(2, LogLevel.Information, "Rejected a chat completion request: {Reason}")]
    public static partial void Rejected(ILogger logger, string reason);

    [LoggerMessage(3, LogLevel.Information, "Scripted error {Status} for {Model}")]
    public static partial void ScriptedError(ILogger logger, int status, string model);

    [LoggerMessage(4, LogLevel.Information, "Hanging a request for {Model} until the client gives up")]
    public static partial void Hanging(ILogger logger, string model);

    [LoggerMessage(5, LogLevel.Information, "Dropped the connection of completion {CompletionId} as scripted")]
    public static partial void Dropped(ILogger logger, string completionId);

    [LoggerMessage(6, LogLevel.Debug, "Client went away before the answer was complete")]
    public static partial void ClientGone(ILogger logger);
}
