using Microsoft.Extensions.Logging;

namespace Agents.Application.Tests;

/// <summary>
/// Keeps every message logged, formatted, with the <see cref="Invocation"/> it was logged in: the Functions worker
/// sends a log to the host by its function invocation's async context, and drops one logged outside any.
/// </summary>
public sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly List<(string? Invocation, string Message)> messages = [];

    /// <summary>The invocation the code under test runs in, as the test sets it for the current async flow.</summary>
    public AsyncLocal<string?> Invocation { get; } = new();

    public IReadOnlyList<string> Messages => [.. Logged.Select(m => m.Message)];

    public IReadOnlyList<(string? Invocation, string Message)> Logged
    {
        get
        {
            lock (messages)
            {
                return [.. messages];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (messages)
        {
            messages.Add((Invocation.Value, formatter(state, exception)));
        }
    }
}
