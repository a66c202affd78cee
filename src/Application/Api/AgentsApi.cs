using Agents.Application.Agents;
using Agents.Application.Http;
using Agents.Application.Tools;
using Agents.Domain.Agents;
using Agents.Domain.Errors;
using Agents.Domain.Identity;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Agents.Application.Api;

/// <summary>What a client sends to create or replace an agent.</summary>
public sealed record AgentRequest(
    string? Name,
    string? Instructions = null,
    string? Model = null,
    ModelParameters? Defaults = null,
    IReadOnlyList<ToolGrant>? Tools = null,
    int? MaxSteps = null,
    int? StepTimeoutSeconds = null,
    bool? Shared = null,
    System.Text.Json.JsonElement? Policies = null);

/// <summary>Agents: private ones per user, shared ones managed by admins.</summary>
public static class AgentsApi
{
    public static async Task<Ok<ListResponse<AgentDefinition>>> List(HttpContext http, AgentStore agents) =>
        TypedResults.Ok(new ListResponse<AgentDefinition>(await agents.ListVisibleAsync(http.Caller().UserId, http.RequestAborted), null));

    public static async Task<Ok<AgentDefinition>> Get(HttpContext http, AgentStore agents, string agentId) =>
        TypedResults.Ok((await Require(agents, http, agentId)).Value);

    public static async Task<Created<AgentDefinition>> Create(HttpContext http, AgentStore agents, ToolCatalog tools, AgentDefaults defaults, TimeProvider clock)
    {
        var request = await RequestJson.ReadAsync<AgentRequest>(http.Request, http.RequestAborted);
        var caller = http.Caller();
        var owner = OwnerFor(caller, request.Shared == true);
        var now = clock.GetUtcNow();
        var agent = Build(request, Ids.New("agt"), owner, now, now, tools, defaults) with
        {
            Policies = await Policies.AgentPolicies.ForSaveAsync(http, request.Policies, null),
        };
        await agents.CreateAsync(agent, http.RequestAborted);
        return TypedResults.Created($"{http.Request.PathBase}{http.Request.Path.Value?.TrimEnd('/')}/{agent.Id}", agent);
    }

    public static async Task<Ok<AgentDefinition>> Replace(HttpContext http, AgentStore agents, ToolCatalog tools, AgentDefaults defaults, TimeProvider clock, string agentId)
    {
        var request = await RequestJson.ReadAsync<AgentRequest>(http.Request, http.RequestAborted);
        var stored = await RequireWritable(agents, http, agentId);
        var agent = Build(request, agentId, stored.Value.OwnerId, stored.Value.CreatedAt, clock.GetUtcNow(), tools, defaults) with
        {
            Policies = await Policies.AgentPolicies.ForSaveAsync(http, request.Policies, stored.Value.Policies),
        };
        await agents.ReplaceAsync(agent, stored.ETag, http.RequestAborted);
        return TypedResults.Ok(agent);
    }

    public static async Task<NoContent> Delete(HttpContext http, AgentStore agents, string agentId)
    {
        var stored = await RequireWritable(agents, http, agentId);
        if (stored.Value.Id == AgentDefinition.DefaultAgentId)
        {
            throw new ApiProblemException(Problems.Conflict("agent_protected", "The default agent cannot be deleted", "Edit it instead."));
        }
        await agents.DeleteAsync(stored.Value, http.RequestAborted);
        return TypedResults.NoContent();
    }

    private static async Task<Storage.Cosmos.Stored<AgentDefinition>> Require(AgentStore agents, HttpContext http, string agentId) =>
        await agents.GetVisibleAsync(http.Caller().UserId, agentId, http.RequestAborted)
        ?? throw new ApiProblemException(Problems.NotFound("agent", agentId));

    /// <summary>Own agents are writable; shared ones only by admins (others get 403: shared agents are visible to all).</summary>
    private static async Task<Storage.Cosmos.Stored<AgentDefinition>> RequireWritable(AgentStore agents, HttpContext http, string agentId)
    {
        var stored = await Require(agents, http, agentId);
        if (stored.Value.IsShared && !http.Caller().IsAdmin)
        {
            throw new ApiProblemException(Problems.AdminOnly("change shared agents"));
        }
        return stored;
    }

    private static string OwnerFor(Caller caller, bool shared) => !shared
        ? caller.UserId
        : caller.IsAdmin ? AgentDefinition.SharedOwner
        : throw new ApiProblemException(Problems.AdminOnly("create shared agents"));

    private static AgentDefinition Build(AgentRequest r, string id, string owner, DateTimeOffset created, DateTimeOffset now, ToolCatalog tools, AgentDefaults defaults)
    {
        var errors = new List<FieldError>();
        if (string.IsNullOrWhiteSpace(r.Name) || r.Name.Length > 100)
        {
            errors.Add(new FieldError("name", "is required and at most 100 characters"));
        }
        if (r.Instructions is { Length: > 20_000 })
        {
            errors.Add(new FieldError("instructions", "must be at most 20000 characters"));
        }
        if (r.MaxSteps is < 1 or > 50)
        {
            errors.Add(new FieldError("maxSteps", "must be between 1 and 50"));
        }
        if (r.StepTimeoutSeconds is < 1 or > 600)
        {
            errors.Add(new FieldError("stepTimeoutSeconds", "must be between 1 and 600"));
        }
        foreach (var (grant, i) in (r.Tools ?? []).Select((g, i) => (g, i)))
        {
            if (!tools.Contains(grant.Name))
            {
                errors.Add(new FieldError($"tools[{i}].name", $"'{grant.Name}' is not a tool; known tools: {string.Join(", ", tools.Names.Order(StringComparer.Ordinal))}"));
            }
        }
        if (r.Tools?.GroupBy(g => g.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } repeated)
        {
            errors.Add(new FieldError("tools", $"lists '{repeated.Key}' more than once")); // so the list is never longer than the catalogue
        }
        errors.AddRange(r.Defaults?.Validate("defaults") ?? []);
        if (errors.Count > 0)
        {
            throw new ApiProblemException(Problems.Validation(errors));
        }
        return new AgentDefinition
        {
            Id = id,
            OwnerId = owner,
            Name = r.Name!.Trim(),
            Instructions = r.Instructions ?? "",
            Model = string.IsNullOrWhiteSpace(r.Model) ? defaults.Model : r.Model,
            Defaults = r.Defaults ?? new ModelParameters(),
            Tools = r.Tools ?? [],
            MaxSteps = r.MaxSteps ?? 8,
            StepTimeoutSeconds = r.StepTimeoutSeconds ?? 120,
            CreatedAt = created,
            UpdatedAt = now,
        };
    }
}
