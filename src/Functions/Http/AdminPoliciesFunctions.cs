using Agents.Application.Agents;
using Agents.Application.Api;
using Agents.Application.Gateway.Activity;
using Agents.Application.Policies;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Agents.Functions.Http;

/// <summary>
/// The policy pipeline and the activity stream (<see cref="AdminPoliciesApi"/>); the admin role is checked by
/// <see cref="HttpPipelineMiddleware"/>. The live activity stream is written straight to the response, like the run
/// events: the front end closes it after 230 s and clients reconnect.
/// </summary>
public sealed class AdminPoliciesFunctions(
    PolicyCatalog catalog, PolicyConfiguration configuration, AgentStore agents, ActivityStreamer streamer, ActivityStore activity,
    TimeProvider clock, ILogger<PolicyConfiguration> configurationLogger, ILogger<PolicyChain> chainLogger)
{
    [Function(nameof(ListPolicies))]
    public IResult ListPolicies([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/admin/policies")] HttpRequest req) =>
        AdminPoliciesApi.List(catalog);

    [Function(nameof(GetPolicyChain))]
    public Task<IResult> GetPolicyChain([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/admin/policies/chain")] HttpRequest req) =>
        AdminPoliciesApi.GetChain(req.HttpContext, configuration, agents, Query.Text(req, "agentId"));

    [Function(nameof(SetPolicyChain))]
    public Task<IResult> SetPolicyChain([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "v1/admin/policies/chain")] HttpRequest req) =>
        AdminPoliciesApi.SetChain(req.HttpContext, configuration, configurationLogger);

    [Function(nameof(ResetPolicyChain))]
    public Task<IResult> ResetPolicyChain([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "v1/admin/policies/chain")] HttpRequest req) =>
        AdminPoliciesApi.ResetChain(req.HttpContext, configuration);

    [Function(nameof(TestPolicies))]
    public Task<IResult> TestPolicies([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/admin/policies/test")] HttpRequest req) =>
        AdminPoliciesApi.Test(req.HttpContext, configuration, catalog, agents, clock, chainLogger);

    [Function(nameof(StreamActivity))]
    public async Task<IResult> StreamActivity([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/admin/activity")] HttpRequest req)
    {
        await AdminPoliciesApi.Stream(req.HttpContext, streamer, Query.Text(req, "type"), Query.Text(req, "userId"), Query.Text(req, "policy"));
        return Results.Empty;
    }

    [Function(nameof(RecentActivity))]
    public Task<IResult> RecentActivity([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/admin/activity/recent")] HttpRequest req) =>
        AdminPoliciesApi.Recent(req.HttpContext, activity, Query.Int(req, "limit"), Query.Text(req, "type"), Query.Text(req, "userId"), Query.Text(req, "policy"));
}
