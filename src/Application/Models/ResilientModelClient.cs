using System.Collections.Concurrent;
using Agents.Domain.Errors;
using Agents.Domain.Runs;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace Agents.Application.Models;

/// <summary>
/// The one place with the model retry policy: exponential backoff with jitter on transient failures (429, 5xx,
/// timeouts, broken connections) honouring Retry-After, a circuit breaker per deployment, and an optional fallback
/// deployment. A stream that already produced text is not retried (its text was delivered).
/// </summary>
public sealed partial class ResilientModelClient(ModelClient inner, ModelOptions options, ILogger<ResilientModelClient> logger, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, ResiliencePipeline> pipelines = new(StringComparer.Ordinal);

    // Polly runs the circuit's callbacks outside the ExecutionContext of the call that caused them (which awaits them):
    // a log written there belongs to no function invocation, and the Functions host drops it. So a callback only
    // notes the change, and that call logs it, in its own invocation, before it returns.
    private readonly ConcurrentQueue<Action> circuitChanges = new();

    public async Task<ModelTurn> StreamAsync(ModelCall call, Func<string, ValueTask> onDelta, CancellationToken cancel)
    {
        var deployment = string.IsNullOrEmpty(call.Model) ? options.Deployment : call.Model;
        try
        {
            return await AttemptAsync(deployment, call, onDelta, cancel).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ModelCallException or BrokenCircuitException
            && options.FallbackDeployment is { Length: > 0 } fallback && fallback != deployment && !cancel.IsCancellationRequested)
        {
            LogFallback(logger, deployment, fallback, Reason(e) ?? "");
            return await AttemptAsync(fallback, call, onDelta, cancel).ConfigureAwait(false);
        }
    }

    private async Task<ModelTurn> AttemptAsync(string deployment, ModelCall call, Func<string, ValueTask> onDelta, CancellationToken cancel)
    {
        try
        {
            return await Pipeline(deployment).ExecuteAsync(async token =>
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(Math.Max(1, call.TimeoutSeconds)));
                return await inner.StreamAsync(call, deployment, onDelta, token, timeout.Token).ConfigureAwait(false);
            }, cancel).ConfigureAwait(false);
        }
        catch (BrokenCircuitException e)
        {
            throw new ModelCallException(new ApiProblem(503, "model_circuit_open", "The model endpoint is failing",
                $"Calls to '{deployment}' are paused after repeated failures; try again shortly."), transient: false, e.RetryAfter, e);
        }
        finally
        {
            while (circuitChanges.TryDequeue(out var log))
            {
                log();
            }
        }
    }

    private ResiliencePipeline Pipeline(string deployment) => pipelines.GetOrAdd(deployment, _ => new ResiliencePipelineBuilder { TimeProvider = clock }
        .AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = Math.Max(1, options.MaxRetries),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(options.RetryBaseDelayMilliseconds),
            ShouldHandle = args => ValueTask.FromResult(options.MaxRetries > 0 && args.Outcome.Exception is ModelCallException { Transient: true } e
                && (e.RetryAfter is null || e.RetryAfter <= TimeSpan.FromSeconds(options.MaxRetryAfterSeconds))),
            DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is ModelCallException { RetryAfter: { } after } ? after : (TimeSpan?)null),
            OnRetry = args =>
            {
                LogRetry(logger, deployment, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, Reason(args.Outcome.Exception));
                return ValueTask.CompletedTask;
            },
        })
        .AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            FailureRatio = 0.9,
            MinimumThroughput = options.CircuitBreakerMinimumThroughput,
            SamplingDuration = TimeSpan.FromSeconds(options.CircuitBreakerSamplingSeconds),
            BreakDuration = TimeSpan.FromSeconds(options.CircuitBreakerBreakSeconds),
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is ModelCallException { Transient: true }),
            // Each change of state is logged, so an operator sees when a deployment was taken out of service and when it came back.
            OnOpened = args => NoteCircuitChange(() => LogCircuitOpened(logger, deployment, args.BreakDuration.TotalSeconds, Reason(args.Outcome.Exception))),
            OnHalfOpened = _ => NoteCircuitChange(() => LogCircuitHalfOpened(logger, deployment)),
            OnClosed = _ => NoteCircuitChange(() => LogCircuitClosed(logger, deployment)),
        })
        .Build());

    private ValueTask NoteCircuitChange(Action log)
    {
        circuitChanges.Enqueue(log);
        return ValueTask.CompletedTask;
    }

    /// <summary>What went wrong, for the operator: the underlying error (a socket message, an HTTP status), not the user's wording.</summary>
    public static string? Reason(Exception? e) => e?.InnerException?.Message ?? e?.Message;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model call to {Deployment} failed; attempt {Attempt} in {DelayMs} ms: {Reason}")]
    private static partial void LogRetry(ILogger logger, string deployment, int attempt, double delayMs, string? reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model deployment {Deployment}: circuit opened for {BreakSeconds} s after repeated failures: {Reason}")]
    private static partial void LogCircuitOpened(ILogger logger, string deployment, double breakSeconds, string? reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model deployment {Deployment}: circuit half-open, one call tries it")]
    private static partial void LogCircuitHalfOpened(ILogger logger, string deployment);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model deployment {Deployment}: circuit closed, calls go to it again")]
    private static partial void LogCircuitClosed(ILogger logger, string deployment);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model deployment {Deployment} failed; falling back to {Fallback}: {Reason}")]
    private static partial void LogFallback(ILogger logger, string deployment, string fallback, string reason);
}
