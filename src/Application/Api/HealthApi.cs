using Agents.Application.Hosting;
using Agents.Application.Models;
using Agents.Application.Storage.Cosmos;
using Agents.Application.Storage.Queues;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Agents.Application.Api;

/// <summary>Liveness: the process answers.</summary>
public sealed record LivenessReport(string Status);

public sealed record DependencyState(string Status, long DurationMs, string? Error = null);

public sealed record ReadinessReport(string Status, IReadOnlyDictionary<string, DependencyState> Checks);

/// <summary>
/// Readiness, on .NET's health checks (<see cref="AddReadinessChecks"/>): Cosmos DB, the queues and the model endpoint
/// each answer within <see cref="CheckTimeout"/>, and the start-up set-up (<see cref="StoreInitializer"/>) is done.
/// Liveness needs no handler: the health/live function answers it itself. Anonymous, so a failed check says only
/// which dependency is down and how (the health check service logs the exception for the operator).
/// </summary>
public static class HealthApi
{
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(3);

    public static IServiceCollection AddReadinessChecks(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<CosmosCheck>("cosmos", timeout: CheckTimeout)
            .AddCheck<QueueCheck>("queues", timeout: CheckTimeout)
            .AddCheck<ModelCheck>("model", timeout: CheckTimeout)
            .AddCheck<SetupCheck>("setup");
        return services;
    }

    public static async Task<Results<Ok<ReadinessReport>, JsonHttpResult<ReadinessReport>>> Ready(HealthCheckService health, CancellationToken ct)
    {
        var result = await health.CheckHealthAsync(ct).ConfigureAwait(false);
        var checks = result.Entries.ToDictionary(e => e.Key, e => new DependencyState(
            e.Value.Status == HealthStatus.Healthy ? "up" : "down", (long)e.Value.Duration.TotalMilliseconds, e.Value.Status == HealthStatus.Healthy ? null : e.Value.Description));
        var report = new ReadinessReport(result.Status == HealthStatus.Healthy ? "ready" : "not_ready", checks);
        return result.Status == HealthStatus.Healthy ? TypedResults.Ok(report) : TypedResults.Json(report, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>A probe as a health check: healthy when it answers; a failure or the registration's timeout is unhealthy, said plainly.</summary>
    private abstract class ProbeCheck : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await ProbeAsync(cancellationToken).ConfigureAwait(false);
                return HealthCheckResult.Healthy();
            }
            catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
            {
                return HealthCheckResult.Unhealthy($"no answer within {CheckTimeout.TotalSeconds:0} s", e);
            }
            catch (Exception e)
            {
                return HealthCheckResult.Unhealthy("unreachable or failing", e);
            }
        }

        protected abstract Task ProbeAsync(CancellationToken ct);
    }

    private sealed class CosmosCheck(CosmosDatabase cosmos) : ProbeCheck
    {
        protected override Task ProbeAsync(CancellationToken ct) => cosmos.Client.GetDatabase(cosmos.DatabaseName).ReadAsync(cancellationToken: ct);
    }

    /// <summary>The persist queue answers.</summary>
    private sealed class QueueCheck(QueueServiceClient queues) : ProbeCheck
    {
        private readonly QueueClient persist = queues.GetQueueClient(QueueNames.Persist);

        protected override Task ProbeAsync(CancellationToken ct) => persist.GetPropertiesAsync(ct);
    }

    private sealed class ModelCheck(ModelProbe model) : ProbeCheck
    {
        protected override Task ProbeAsync(CancellationToken ct) => model.ProbeAsync(ct);
    }

    private sealed class SetupCheck(StoreInitializer setup) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(setup.IsDone ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("the database, containers and queues are not set up yet"));
    }
}

/// <summary>Readiness probe of the model endpoint: its model list answers (through the model HttpClient, authenticated as every call).</summary>
public sealed class ModelProbe(IHttpClientFactory http, ModelEndpoint endpoint)
{
    public async Task ProbeAsync(CancellationToken ct)
    {
        using var client = http.CreateClient(ModelServices.HttpClientName);
        using var response = await client.GetAsync(new Uri(endpoint.V1, "models"), ct).ConfigureAwait(false);
        // Any answer below 500 shows the endpoint is up (an endpoint without a model list may answer 404).
        if ((int)response.StatusCode >= 500)
        {
            throw new HttpRequestException($"The model endpoint answered {(int)response.StatusCode}.");
        }
    }
}
