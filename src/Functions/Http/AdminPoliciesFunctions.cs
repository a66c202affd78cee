using Agents.Application.Agents;
using Agents.Application.Api;
using Agents.Application.Gateway.Activity;
using Agents.Application.Policies;
using Agents.Functions.OpenApi;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Agents.Functions.Http;

/// <summary>
/// The policy pipeline and the activity stream (<see cref="AdminPoliciesApi"/>); the admin role is checked by
/// <see cref="HttpPipelineMiddleware"/>. The live activity stream is written straight to the response, like the run
/// events: the front end closes it after 230 s and clients reconnect.
/// </summary>
[Tags("admin")]
public sealed class AdminPoliciesFunctions(
    PolicyCatalog catalog, PolicyConfiguration configuration, AgentStore agents, ActivityStreamer streamer, ActivityStore activity,
    TimeProvider clock, ILogger<PolicyConfiguration> configurationLogger, ILogger<PolicyChain> chainLogger)
{
    [Function(nameof(ListPolicies))]
    [EndpointSummary("The policies and their settings schemas")]
    public Ok<ListResponse<PolicyInfo>> ListPolicies([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/admin/policies")] HttpRequest req) =>
        AdminPoliciesApi.List(catalog);

    [Function(nameof(GetPolicyChain))]
    [EndpointSummary("The effective policy chain with the source of every value (ETag of the stored chain)")]
    [QueryParameter("agentId", typeof(string), "The chain as this agent's runs see it")]
    public Task<Ok<PolicyChainView>> GetPolicyChain([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/admin/policies/chain")] HttpRequest req) =>
        AdminPoliciesApi.GetChain(req.HttpContext, configuration, agents, Query.Text(req, "agentId"));

    [Function(nameof(SetPolicyChain))]
    [EndpointSummary("Stores the policy chain (If-Match: the ETag read, for no lost update)")]
    [RequestBody(typeof(SetPolicyChainRequest))]
    [Problems(409, 412)]
    public Task<Ok<PolicyChainView>> SetPolicyChain([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "v1/admin/policies/chain")] HttpRequest req) =>
        AdminPoliciesApi.SetChain(req.HttpContext, configuration, configurationLogger);

    [Function(nameof(ResetPolicyChain))]
    [EndpointSummary("Removes the stored chain (the file's chain applies again)")]
    public Task<NoContent> ResetPolicyChain([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "v1/admin/policies/chain")] HttpRequest req) =>
        AdminPoliciesApi.ResetChain(req.HttpContext, configuration);

    [Function(nameof(TestPolicies))]
    [EndpointSummary("Runs a policy or a chain on a sample request, response or tool calls")]
    [RequestBody(typeof(PolicyTestRequest))]
    public Task<Ok<PolicyTestResult>> TestPolicies([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/admin/policies/test")] HttpRequest req) =>
        AdminPoliciesApi.Test(req.HttpContext, configuration, catalog, agents, clock, chainLogger);

    [Function(nameof(StreamActivity))]
    [EndpointSummary("Live activity (requests, decisions, tool calls) as Server-Sent Events")]
    [QueryParameter("type", typeof(string), "Only events of these types (comma-separated)")]
    [QueryParameter("userId", typeof(string), "Only this user's events")]
    [QueryParameter("policy", typeof(string), "Only this policy's decisions")]
    [Response(200, NamedSchemas.ActivityEventStream, "Activity events as they happen, with heartbeats", "text/event-stream")]
    public Task<EmptyHttpResult> StreamActivity([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/admin/activity")] HttpRequest req) =>
        AdminPoliciesApi.Stream(req.HttpContext, streamer, Query.Text(req, "type"), Query.Text(req, "userId"), Query.Text(req, "policy"));

    [Function(nameof(RecentActivity))]
    [EndpointSummary("The most recent activity events, newest first")]
    [QueryParameter("limit", typeof(int), "How many (default 100)")]
    [QueryParameter("type", typeof(string), "Only events of these types (comma-separated)")]
    [QueryParameter("userId", typeof(string), "Only this user's events")]
    [QueryParameter("policy", typeof(string), "Only this policy's decisions")]
    public Task<Ok<ListResponse<ActivityEvent>>> RecentActivity([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/admin/activity/recent")] HttpRequest req) =>
        AdminPoliciesApi.Recent(req.HttpContext, activity, Query.Int(req, "limit"), Query.Text(req, "type"), Query.Text(req, "userId"), Query.Text(req, "policy"));
}
