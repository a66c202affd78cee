using Agents.Application.Agents;
using Agents.Application.Api;
using Agents.Application.Tools;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Agents.Functions.Http;

/// <summary>Agents (<see cref="AgentsApi"/>).</summary>
public sealed class AgentFunctions(AgentStore agents, ToolCatalog tools, AgentDefaults defaults, TimeProvider clock)
{
    [Function(nameof(ListAgents))]
    public Task<IResult> ListAgents([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/agents")] HttpRequest req) =>
        AgentsApi.List(req.HttpContext, agents);

    [Function(nameof(CreateAgent))]
    public Task<IResult> CreateAgent([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/agents")] HttpRequest req) =>
        AgentsApi.Create(req.HttpContext, agents, tools, defaults, clock);

    [Function(nameof(GetAgent))]
    public Task<IResult> GetAgent([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/agents/{agentId}")] HttpRequest req, string agentId) =>
        AgentsApi.Get(req.HttpContext, agents, agentId);

    [Function(nameof(ReplaceAgent))]
    public Task<IResult> ReplaceAgent([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "v1/agents/{agentId}")] HttpRequest req, string agentId) =>
        AgentsApi.Replace(req.HttpContext, agents, tools, defaults, clock, agentId);

    [Function(nameof(DeleteAgent))]
    public Task<IResult> DeleteAgent([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "v1/agents/{agentId}")] HttpRequest req, string agentId) =>
        AgentsApi.Delete(req.HttpContext, agents, agentId);
}
