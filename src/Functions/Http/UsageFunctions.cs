using Agents.Application.Api;
using Agents.Application.Usage;
using Agents.Functions.OpenApi;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace Agents.Functions.Http;

/// <summary>The caller's token usage (<see cref="UsageApi"/>).</summary>
[Tags("usage")]
public sealed class UsageFunctions(UsageLedger ledger, TimeProvider clock)
{
    [Function(nameof(GetUsage))]
    [EndpointSummary("The caller's token usage from the ledger, grouped")]
    [QueryParameter("from", typeof(DateTimeOffset), "Start (ISO 8601, default 30 days before 'to')")]
    [QueryParameter("to", typeof(DateTimeOffset), "End, exclusive (default now)")]
    [QueryParameter("groupBy", typeof(string), "day (default), agent or model")]
    public Task<Ok<UsageReport>> GetUsage([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/usage")] HttpRequest req) =>
        UsageApi.Get(req.HttpContext, ledger, clock, Query.Text(req, "from"), Query.Text(req, "to"), Query.Text(req, "groupBy"));
}
