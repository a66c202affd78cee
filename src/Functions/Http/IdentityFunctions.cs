using Agents.Application.Api;
using Agents.Application.Limits;
using Agents.Identity.ApiKeys;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Agents.Functions.Http;

/// <summary>The caller and their API keys (<see cref="IdentityApi"/>).</summary>
public sealed class IdentityFunctions(ApiKeyService keys, TierResolver tiers, TokenBudgets budgets)
{
    [Function(nameof(GetMe))]
    public Task<IResult> GetMe([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/me")] HttpRequest req) =>
        IdentityApi.Me(req.HttpContext, tiers, budgets);

    [Function(nameof(ListApiKeys))]
    public Task<IResult> ListApiKeys([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/api-keys")] HttpRequest req) =>
        IdentityApi.ListKeys(req.HttpContext, keys);

    [Function(nameof(CreateApiKey))]
    public Task<IResult> CreateApiKey([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/api-keys")] HttpRequest req) =>
        IdentityApi.CreateKey(req.HttpContext, keys);

    [Function(nameof(RevokeApiKey))]
    public Task<IResult> RevokeApiKey([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "v1/api-keys/{keyId}")] HttpRequest req, string keyId) =>
        IdentityApi.RevokeKey(req.HttpContext, keys, keyId);
}
