using Agents.Application.Api;
using Agents.Application.Limits;
using Agents.Application.Usage;
using Agents.Functions.OpenApi;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace Agents.Functions.Http;

/// <summary>Admin routes (<see cref="AdminApi"/>); the admin role is checked by <see cref="HttpPipelineMiddleware"/>.</summary>
[Tags("admin")]
public sealed class AdminFunctions(UsageLedger ledger, TierResolver tiers, TokenBudgets budgets, LimitsOptions options, TimeProvider clock)
{
    [Function(nameof(AdminGetUsage))]
    [EndpointSummary("Usage of every user (or of userId) from the ledger")]
    [QueryParameter("from", typeof(DateTimeOffset), "Start (ISO 8601, default 30 days before 'to')")]
    [QueryParameter("to", typeof(DateTimeOffset), "End, exclusive (default now)")]
    [QueryParameter("userId", typeof(string), "Only this user's usage")]
    [QueryParameter("groupBy", typeof(string), "day (default), agent, model or user")]
    public Task<Ok<UsageReport>> AdminGetUsage([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/admin/usage")] HttpRequest req) =>
        AdminApi.Usage(req.HttpContext, ledger, clock,
            Query.Text(req, "from"), Query.Text(req, "to"), Query.Text(req, "userId"), Query.Text(req, "groupBy"));

    [Function(nameof(AdminGetUserLimits))]
    [EndpointSummary("A user's tier and limits, with what remains of each budget")]
    public Task<Ok<UserLimitsResponse>> AdminGetUserLimits([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/admin/users/{userId}/limits")] HttpRequest req, string userId) =>
        AdminApi.GetLimits(req.HttpContext, tiers, budgets, userId);

    [Function(nameof(AdminSetUserTier))]
    [EndpointSummary("Sets a user's tier")]
    [RequestBody(typeof(SetTierRequest))]
    public Task<Ok<UserTierResponse>> AdminSetUserTier([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "v1/admin/users/{userId}/tier")] HttpRequest req, string userId) =>
        AdminApi.SetTier(req.HttpContext, tiers, options, userId);

    [Function(nameof(AdminClearUserTier))]
    [EndpointSummary("Removes a user's tier setting (the claim or the default decides again)")]
    public Task<NoContent> AdminClearUserTier([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "v1/admin/users/{userId}/tier")] HttpRequest req, string userId) =>
        AdminApi.ClearTier(req.HttpContext, tiers, userId);
}
