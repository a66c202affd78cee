using Agents.Application.Api;
using Agents.Application.Hosting;
using Agents.Application.Storage.Cosmos;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Agents.Functions.Http;

/// <summary>Health (<see cref="HealthApi"/>): anonymous, outside /api/v1.</summary>
public sealed class HealthFunctions(CosmosDatabase cosmos, QueueProbe queues, ModelProbe model, StoreInitializer setup)
{
    [Function(nameof(Live))]
    public IResult Live([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health/live")] HttpRequest req) =>
        TypedResults.Ok(new { status = "live" });

    [Function(nameof(Ready))]
    public Task<IResult> Ready([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health/ready")] HttpRequest req) =>
        HealthApi.Ready(cosmos, queues, model, setup, req.HttpContext.RequestAborted);
}
