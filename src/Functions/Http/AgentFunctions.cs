using Agents.Application.Agents;
using Agents.Application.Api;
using Agents.Application.Tools;
using Agents.Domain.Agents;
using Agents.Functions.OpenApi;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace Agents.Functions.Http;

/// <summary>Agents (<see cref="AgentsApi"/>).</summary>
[Tags("agents")]
public sealed class AgentFunctions(AgentStore agents, ToolCatalog tools, AgentDefaults defaults, TimeProvider clock)
{
    [Function(nameof(ListAgents))]
    [EndpointSummary("The agents the caller may use: their own and the shared ones")]
    public Task<Ok<ListResponse<AgentDefinition>>> ListAgents([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/agents")] HttpRequest req) =>
        AgentsApi.List(req.HttpContext, agents);

    [Function(nameof(CreateAgent))]
    [EndpointSummary("Creates an agent (shared: true needs the admin role)")]
    [RequestBody(typeof(AgentRequest))]
    public Task<Created<AgentDefinition>> CreateAgent([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/agents")] HttpRequest req) =>
        AgentsApi.Create(req.HttpContext, agents, tools, defaults, clock);

    [Function(nameof(GetAgent))]
    [EndpointSummary("One agent the caller may use")]
    public Task<Ok<AgentDefinition>> GetAgent([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/agents/{agentId}")] HttpRequest req, string agentId) =>
        AgentsApi.Get(req.HttpContext, agents, agentId);

    [Function(nameof(ReplaceAgent))]
    [EndpointSummary("Replaces an agent the caller may edit")]
    [RequestBody(typeof(AgentRequest))]
    [Problems(409)]
    public Task<Ok<AgentDefinition>> ReplaceAgent([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "v1/agents/{agentId}")] HttpRequest req, string agentId) =>
        AgentsApi.Replace(req.HttpContext, agents, tools, defaults, clock, agentId);

    [Function(nameof(DeleteAgent))]
    [EndpointSummary("Deletes an agent the caller may edit (not the default agent)")]
    [Problems(409)]
    public Task<NoContent> DeleteAgent([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "v1/agents/{agentId}")] HttpRequest req, string agentId) =>
        AgentsApi.Delete(req.HttpContext, agents, agentId);
}
