using Agents.Application.Http;
using Agents.Application.Limits;
using Agents.Domain.Errors;
using Agents.Domain.Identity;
using Agents.Identity.ApiKeys;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Agents.Application.Api;

public sealed record CreateApiKeyRequest(string? Name, DateTimeOffset? ExpiresAt = null, IReadOnlyList<string>? Scopes = null);

/// <summary>Who the caller is, and their API keys.</summary>
public static class IdentityApi
{
    /// <summary>The caller, their tier, and their limits with what remains of each token budget.</summary>
    public static async Task<Ok<MeResponse>> Me(HttpContext http, TierResolver tiers, TokenBudgets budgets)
    {
        var caller = http.Caller();
        var tier = await tiers.ResolveAsync(caller, http.RequestAborted);
        var limits = await budgets.DescribeAsync(caller.UserId, tier, http.RequestAborted);
        return TypedResults.Ok(MeResponse.From(caller) with { Tier = tier.Name, Limits = limits });
    }

    public static async Task<Ok<ListResponse<ApiKeyInfo>>> ListKeys(HttpContext http, ApiKeyService keys) =>
        TypedResults.Ok(new ListResponse<ApiKeyInfo>(await keys.ListAsync(http.Caller(), http.RequestAborted), null));

    public static async Task<Created<CreatedApiKey>> CreateKey(HttpContext http, ApiKeyService keys)
    {
        var request = await RequestJson.ReadAsync<CreateApiKeyRequest>(http.Request, http.RequestAborted);
        var caller = http.Caller();
        var created = await keys.CreateAsync(caller, request.Name ?? "", request.Scopes, request.ExpiresAt, http.RequestAborted);
        return TypedResults.Created($"{http.Request.PathBase}{http.Request.Path.Value?.TrimEnd('/')}/{created.Info.KeyId}", created);
    }

    public static async Task<NoContent> RevokeKey(HttpContext http, ApiKeyService keys, string keyId) =>
        await keys.RevokeAsync(http.Caller(), keyId, http.RequestAborted)
            ? TypedResults.NoContent()
            : throw new ApiProblemException(Problems.NotFound("api_key", keyId));
}

/// <summary>The caller as <c>GET /api/v1/me</c> shows it.</summary>
public sealed record MeResponse(string UserId, string TenantId, string DisplayName, string Kind, IReadOnlyList<string> Roles, IReadOnlyList<string> Scopes, string Tier, string? ApiKeyId, LimitsView? Limits = null)
{
    public static MeResponse From(Caller caller) => new(
        caller.UserId, caller.TenantId, caller.DisplayName, caller.Kind.ToString().ToLowerInvariant(), caller.Roles, caller.Scopes, caller.Tier ?? "standard", caller.ApiKeyId);
}
