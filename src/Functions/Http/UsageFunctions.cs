using Agents.Application.Api;
using Agents.Application.Usage;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Agents.Functions.Http;

/// <summary>The caller's token usage (<see cref="UsageApi"/>).</summary>
public sealed class UsageFunctions(UsageLedger ledger, TimeProvider clock)
{
    [Function(nameof(GetUsage))]
    public Task<IResult> GetUsage([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/usage")] HttpRequest req) =>
        UsageApi.Get(req.HttpContext, ledger, clock, Query.Text(req, "from"), Query.Text(req, "to"), Query.Text(req, "groupBy"));
}
