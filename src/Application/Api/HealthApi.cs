using System.Diagnostics;
using Agents.Application.Hosting;
using Agents.Application.Models;
using Agents.Application.Storage.Cosmos;
using Agents.Application.Storage.Queues;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Agents.Application.Api;

public sealed record DependencyState(string Status, long DurationMs, string? Error = null);

/// <summary>Liveness: the process answers.</summary>
public sealed record LivenessReport(string Status);

public sealed record ReadinessReport(string Status, IReadOnlyDictionary<string, DependencyState> Checks);

/// <summary>
/// Readiness: Cosmos DB, the queues and the model endpoint each answer within a short timeout, and the start-up set-up
/// (<see cref="StoreInitializer"/>) is done (liveness, that the
/// process answers, needs no handler: the health/live function answers it itself). Anonymous: it reveals no data, only
/// each dependency's state.
/// </summary>
public static class HealthApi
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(3);

    public static async Task<Results<Ok<ReadinessReport>, JsonHttpResult<ReadinessReport>>> Ready(CosmosDatabase cosmos, QueueProbe queues, ModelProbe model, StoreInitializer setup, CancellationToken ct)
    {
        var checks = await Task.WhenAll(
            Check("cosmos", c => cosmos.Client.GetDatabase(cosmos.DatabaseName).ReadAsync(cancellationToken: c), ct),
            Check("queues", queues.ProbeAsync, ct),
            Check("model", model.ProbeAsync, ct),
            Task.FromResult((Name: "setup", State: setup.IsDone ? new DependencyState("up", 0) : new DependencyState("down", 0, "the database, containers and queues are not set up yet"))));
        var report = new ReadinessReport(checks.All(c => c.State.Status == "up") ? "ready" : "not_ready", checks.ToDictionary(c => c.Name, c => c.State));
        return report.Status == "ready" ? TypedResults.Ok(report) : TypedResults.Json(report, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<(string Name, DependencyState State)> Check(string name, Func<CancellationToken, Task> probe, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(CheckTimeout);
        try
        {
            await probe(timeout.Token).WaitAsync(timeout.Token).ConfigureAwait(false);
            return (name, new DependencyState("up", (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds));
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            var error = e is OperationCanceledException ? $"no answer within {CheckTimeout.TotalSeconds:0} s" : e.GetType().Name;
            return (name, new DependencyState("down", (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, error));
        }
    }
}

/// <summary>Readiness probe of the queue service: the persist queue answers.</summary>
public sealed class QueueProbe(QueueServiceClient queues)
{
    private readonly QueueClient persist = queues.GetQueueClient(QueueNames.Persist);

    public Task ProbeAsync(CancellationToken ct) => persist.GetPropertiesAsync(ct);
}

/// <summary>Readiness probe of the model endpoint: its model list answers.</summary>
public sealed class ModelProbe(IHttpClientFactory http, ModelOptions options)
{
    public const string HttpClientName = "model";

    public async Task ProbeAsync(CancellationToken ct)
    {
        using var client = http.CreateClient(HttpClientName);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(options.Endpoint!.AbsoluteUri.TrimEnd('/') + "/models"));
        if (!options.UseEntraId && !string.IsNullOrEmpty(options.ApiKey))
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", options.ApiKey);
        }
        using var response = await client.SendAsync(request, ct).ConfigureAwait(false);
        // Any answer below 500 shows the endpoint is up (with Entra auth the probe itself may get 401).
        if ((int)response.StatusCode >= 500)
        {
            throw new HttpRequestException($"The model endpoint answered {(int)response.StatusCode}.");
        }
    }
}
