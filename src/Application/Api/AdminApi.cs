using Agents.Application.Http;
using Agents.Application.Limits;
using Agents.Application.Usage;
using Agents.Domain.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Agents.Application.Api;

public sealed record SetTierRequest(string? Tier);

/// <summary>A user's admin tier setting (<see cref="Tier"/> null: none, the claim or default decides).</summary>
public sealed record UserTierResponse(string UserId, string? Tier, string? SetBy, DateTimeOffset? SetAt);

/// <summary>A user's limits as an admin sees them (the tier their runs are budgeted with).</summary>
public sealed record UserLimitsResponse(string UserId, LimitsView Limits);

/// <summary>
/// Admin routes, under /api/v1/admin, where HttpPipelineMiddleware (src/Functions) already requires the admin role: any
/// user's usage, and a user's tier. Other admin routes go under the same prefix (see also <see cref="AdminPoliciesApi"/>).
/// </summary>
public static class AdminApi
{
    /// <summary>Usage from the ledger in [from, to): one user's (<c>userId</c>) or everyone's, grouped by day, agent, model or user.</summary>
    public static async Task<Ok<UsageReport>> Usage(HttpContext http, UsageLedger ledger, TimeProvider clock, string? from, string? to, string? userId, string? groupBy)
    {
        var (start, end) = UsageApi.Range(from, to, clock.GetUtcNow());
        var key = UsageApi.KeyFor(groupBy);
        var records = userId is null
            ? await ledger.ListAllAsync(start, end, http.RequestAborted)
            : await ledger.ListAsync(ValidUserId(userId), start, end, http.RequestAborted);
        return TypedResults.Ok(UsageApi.Report(records, start, end, groupBy ?? "day", key));
    }

    public static async Task<Ok<UserLimitsResponse>> GetLimits(HttpContext http, TierResolver tiers, TokenBudgets budgets, string userId)
    {
        var tier = await tiers.ResolveForUserAsync(ValidUserId(userId), http.RequestAborted);
        return TypedResults.Ok(new UserLimitsResponse(userId, await budgets.DescribeAsync(userId, tier, http.RequestAborted)));
    }

    public static async Task<Ok<UserTierResponse>> SetTier(HttpContext http, TierResolver tiers, LimitsOptions options, string userId)
    {
        ValidUserId(userId);
        var request = await RequestJson.ReadAsync<SetTierRequest>(http.Request, http.RequestAborted);
        var known = string.Join(", ", options.Tiers.Keys.Order(StringComparer.Ordinal));
        if (string.IsNullOrWhiteSpace(request.Tier))
        {
            throw new ApiProblemException(Problems.Field("tier", $"is required: one of {known} (DELETE the setting to fall back to the claim or the default)"));
        }
        if (options.Find(request.Tier) is null)
        {
            throw new ApiProblemException(Problems.Field("tier", $"'{request.Tier}' is not a tier; tiers: {known}"));
        }
        var setting = await tiers.SetAsync(userId, request.Tier, http.Caller().UserId, http.RequestAborted);
        return TypedResults.Ok(new UserTierResponse(userId, setting.AdminTier, setting.SetBy, setting.SetAt));
    }

    public static async Task<NoContent> ClearTier(HttpContext http, TierResolver tiers, string userId)
    {
        await tiers.SetAsync(ValidUserId(userId), null, http.Caller().UserId, http.RequestAborted);
        return TypedResults.NoContent();
    }

    /// <summary>User ids are letters, digits, '-' and '_' (see Identity's StableIds); anything else names no user.</summary>
    private static string ValidUserId(string userId) =>
        userId.Length is > 0 and <= 128 && userId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? userId
            : throw new ApiProblemException(Problems.Field("userId", "must be 1 to 128 letters, digits, '-' or '_'"));
}
