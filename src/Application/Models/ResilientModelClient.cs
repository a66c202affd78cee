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
public sealed partial class ResilientModelClient(ModelClient inner, ModelOptions options, ILogger<ResilientModelClient> logger)
{
    private readonly ConcurrentDictionary<string, ResiliencePipeline> pipelines = new(StringComparer.Ordinal);

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
    }

    private ResiliencePipeline Pipeline(string deployment) => pipelines.GetOrAdd(deployment, _ => new ResiliencePipelineBuilder()
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
            SamplingDuration = TimeSpan.FromSeconds(60),
            BreakDuration = TimeSpan.FromSeconds(options.CircuitBreakerBreakSeconds),
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is ModelCallException { Transient: true }),
        })
        .Build());

    /// <summary>What went wrong, for the operator: the underlying error (a socket message, an HTTP status), not the user's wording.</summary>
    public static string? Reason(Exception? e) => e?.InnerException?.Message ?? e?.Message;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model call to {Deployment} failed; attempt {Attempt} in {DelayMs} ms: {Reason}")]
    private static partial void LogRetry(ILogger logger, string deployment, int attempt, double delayMs, string? reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model deployment {Deployment} failed; falling back to {Fallback}: {Reason}")]
    private static partial void LogFallback(ILogger logger, string deployment, string fallback, string reason);
}
