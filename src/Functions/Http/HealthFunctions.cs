using Agents.Application.Api;
using Agents.Functions.OpenApi;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Agents.Functions.Http;

/// <summary>Health (<see cref="HealthApi"/>): anonymous, outside /api/v1.</summary>
[Tags("health")]
public sealed class HealthFunctions(HealthCheckService health)
{
    [Function(nameof(Live))]
    [EndpointSummary("Liveness: the process answers")]
    public Ok<LivenessReport> Live([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health/live")] HttpRequest req) =>
        TypedResults.Ok(new LivenessReport("live"));

    [Function(nameof(Ready))]
    [EndpointSummary("Readiness: Cosmos DB, the queues and the model endpoint answer, and the set-up is done")]
    [Response(503, typeof(ReadinessReport), "Not ready: the report says which check is down")]
    public Task<Results<Ok<ReadinessReport>, JsonHttpResult<ReadinessReport>>> Ready([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health/ready")] HttpRequest req) =>
        HealthApi.Ready(health, req.HttpContext.RequestAborted);
}
