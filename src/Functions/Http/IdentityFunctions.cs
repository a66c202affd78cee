using Agents.Application.Api;
using Agents.Application.Limits;
using Agents.Functions.OpenApi;
using Agents.Identity.ApiKeys;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace Agents.Functions.Http;

/// <summary>The caller and their API keys (<see cref="IdentityApi"/>).</summary>
[Tags("identity")]
public sealed class IdentityFunctions(ApiKeyService keys, TierResolver tiers, TokenBudgets budgets)
{
    [Function(nameof(GetMe))]
    [EndpointSummary("Who the caller is: roles, scopes, tier and limits")]
    public Task<Ok<MeResponse>> GetMe([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/me")] HttpRequest req) =>
        IdentityApi.Me(req.HttpContext, tiers, budgets);

    [Function(nameof(ListApiKeys))]
    [EndpointSummary("The caller's API keys (never their secrets)")]
    public Task<Ok<ListResponse<ApiKeyInfo>>> ListApiKeys([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/api-keys")] HttpRequest req) =>
        IdentityApi.ListKeys(req.HttpContext, keys);

    [Function(nameof(CreateApiKey))]
    [EndpointSummary("Creates an API key; its secret is in this answer only")]
    [RequestBody(typeof(CreateApiKeyRequest))]
    public Task<Created<CreatedApiKey>> CreateApiKey([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/api-keys")] HttpRequest req) =>
        IdentityApi.CreateKey(req.HttpContext, keys);

    [Function(nameof(RevokeApiKey))]
    [EndpointSummary("Revokes one of the caller's API keys")]
    public Task<NoContent> RevokeApiKey([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "v1/api-keys/{keyId}")] HttpRequest req, string keyId) =>
        IdentityApi.RevokeKey(req.HttpContext, keys, keyId);
}
