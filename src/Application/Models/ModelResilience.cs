using System.Collections.Concurrent;
using Agents.Domain.Errors;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace Agents.Application.Models;

/// <summary>
/// The one model retry policy, for runs, the judge and the gateway alike: exponential backoff with jitter on transient
/// failures (429, 5xx, timeouts, broken connections) honouring Retry-After, a circuit breaker per deployment shared by
/// every caller (a deployment the runs found failing is failing for the gateway too), and an optional fallback
/// deployment. An attempt that fails with a <see cref="ModelCallException"/> is judged; one that already delivered
/// text returns instead of throwing, so it is never repeated. Polly works at this level, not in the HttpClient: a
/// stream that breaks before its first token is retried too, which a handler that sees only the response headers
/// cannot do.
/// </summary>
public sealed partial class ModelResilience(ModelOptions options, ILogger<ModelResilience> logger, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, ResiliencePipeline> pipelines = new(StringComparer.Ordinal);

    // Polly runs the circuit's callbacks outside the ExecutionContext of the call that caused them (which awaits them):
    // a log written there belongs to no function invocation, and the Functions host drops it. So a callback only
    // notes the change, and that call logs it, in its own invocation, before it returns.
    private readonly ConcurrentQueue<Action> circuitChanges = new();

    /// <summary>
    /// Runs <paramref name="attempt"/> against <paramref name="deployment"/> within the policy; when that fails for good
    /// (retries spent, circuit open, deployment missing) and the request is not at fault, once against
    /// <paramref name="fallback"/> (when set and different).
    /// </summary>
    public async Task<T> ExecuteAsync<T>(string deployment, string? fallback, Func<string, CancellationToken, ValueTask<T>> attempt, CancellationToken cancel)
    {
        try
        {
            return await AttemptAsync(deployment, attempt, cancel).ConfigureAwait(false);
        }
        catch (ModelCallException e) when (fallback is { Length: > 0 } && fallback != deployment && !e.BlamesRequest && !cancel.IsCancellationRequested)
        {
            LogFallback(logger, deployment, fallback, Reason(e) ?? "");
            return await AttemptAsync(fallback, attempt, cancel).ConfigureAwait(false);
        }
    }

    private async Task<T> AttemptAsync<T>(string deployment, Func<string, CancellationToken, ValueTask<T>> attempt, CancellationToken cancel)
    {
        try
        {
            return await Pipeline(deployment).ExecuteAsync(token => attempt(deployment, token), cancel).ConfigureAwait(false);
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
