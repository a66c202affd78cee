using Agents.Application.Api;
using Agents.Application.Limits;
using Agents.Application.Usage;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Agents.Functions.Http;

/// <summary>Admin routes (<see cref="AdminApi"/>); the admin role is checked by <see cref="HttpPipelineMiddleware"/>.</summary>
public sealed class AdminFunctions(UsageLedger ledger, TierResolver tiers, TokenBudgets budgets, LimitsOptions options, TimeProvider clock)
{
    [Function(nameof(AdminGetUsage))]
    public Task<IResult> AdminGetUsage([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/admin/usage")] HttpRequest req) =>
        AdminApi.Usage(req.HttpContext, ledger, clock,
            Query.Text(req, "from"), Query.Text(req, "to"), Query.Text(req, "userId"), Query.Text(req, "groupBy"));

    [Function(nameof(AdminGetUserLimits))]
    public Task<IResult> AdminGetUserLimits([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/admin/users/{userId}/limits")] HttpRequest req, string userId) =>
        AdminApi.GetLimits(req.HttpContext, tiers, budgets, userId);

    [Function(nameof(AdminSetUserTier))]
    public Task<IResult> AdminSetUserTier([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "v1/admin/users/{userId}/tier")] HttpRequest req, string userId) =>
        AdminApi.SetTier(req.HttpContext, tiers, options, userId);

    [Function(nameof(AdminClearUserTier))]
    public Task<IResult> AdminClearUserTier([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "v1/admin/users/{userId}/tier")] HttpRequest req, string userId) =>
        AdminApi.ClearTier(req.HttpContext, tiers, userId);
}
