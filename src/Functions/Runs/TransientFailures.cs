using System.Net;
using Agents.Application.Storage.Queues;
using Agents.Domain.Runs;
using Microsoft.Azure.Cosmos;
using Microsoft.DurableTask;

namespace Agents.Functions.Runs;

/// <summary>
/// The one retry policy of the activities: only infrastructure that did not answer is retried (Cosmos DB 408/429/503,
/// the queue service's 408/429/5xx, the network, timeouts, a call cancelled by a recycling host). Model 429/5xx are
/// retried inside the activity already (ModelResilience); anything else would fail again. A failure reaches the
/// orchestrator as a type name only, so the activity marks a transient one with <see cref="TransientActivityException"/>.
/// </summary>
public static class TransientFailures
{
    public const int MaxAttempts = 5;

    public static readonly TaskOptions Retry = TaskOptions.FromRetryPolicy(
        new RetryPolicy(MaxAttempts, firstRetryInterval: TimeSpan.FromSeconds(2), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromSeconds(30))
        {
            HandleFailure = IsMarked,
        });

    /// <summary>Runs an activity's step; a transient failure is rethrown marked, anything else as it is.</summary>
    public static async Task<T> GuardAsync<T>(Func<Task<T>> step)
    {
        try
        {
            return await step();
        }
        catch (Exception e) when (IsTransient(e))
        {
            throw new TransientActivityException(e);
        }
    }

    public static Task GuardAsync(Func<Task> step) => GuardAsync(async () =>
    {
        await step();
        return true;
    });

    /// <summary>Like <see cref="GuardAsync{T}"/>, with a <see cref="RunFailedException"/> returned as the outcome's problem.</summary>
    public static Task<Outcome<T>> OutcomeAsync<T>(Func<Task<T>> step) => GuardAsync(async () =>
    {
        try
        {
            return new Outcome<T>(await step());
        }
        catch (RunFailedException e)
        {
            return new Outcome<T>(default, e.Problem);
        }
    });

    private static bool IsTransient(Exception e) => e switch
    {
        CosmosException { StatusCode: HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable } => true,
        _ when StorageQueues.IsUnavailable(e) => true,
        HttpRequestException or TimeoutException or OperationCanceledException => true,
        _ => false,
    };

    // An async activity's failure may arrive wrapped (an AggregateException): look along the inner failures too.
    private static bool IsMarked(TaskFailureDetails failure) =>
        failure.IsCausedBy<TransientActivityException>() || (failure.InnerFailure is { } inner && IsMarked(inner));
}

/// <summary>An activity failed for a reason that may pass: the orchestrator retries the activity.</summary>
public sealed class TransientActivityException(Exception inner) : Exception($"Transient failure: {inner.Message}", inner);
