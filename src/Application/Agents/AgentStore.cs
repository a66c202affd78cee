using Agents.Application.Storage.Cosmos;
using Agents.Domain.Agents;
using Microsoft.Azure.Cosmos;

namespace Agents.Application.Agents;

/// <summary>
/// Agents in the <c>agents</c> container: a private agent in its owner's partition, a shared one in the
/// <see cref="AgentDefinition.SharedOwner"/> partition. A user sees their own and the shared ones.
/// </summary>
public sealed class AgentStore(CosmosDatabase cosmos)
{
    private const string Type = "agent";
    private readonly DocumentContainer agents = new(cosmos.Container(Containers.Agents));

    /// <summary>The caller's agent or a shared one with this id; a private agent of someone else is not found.</summary>
    public async Task<Stored<AgentDefinition>?> GetVisibleAsync(string userId, string agentId, CancellationToken ct) =>
        await agents.ReadAsync<AgentDefinition>(PartitionKeys.Owner(userId), agentId, ct).ConfigureAwait(false)
        ?? await agents.ReadAsync<AgentDefinition>(AgentDefinition.SharedOwner, agentId, ct).ConfigureAwait(false);

    public async Task<IReadOnlyList<AgentDefinition>> ListVisibleAsync(string userId, CancellationToken ct)
    {
        var own = await ListAsync(PartitionKeys.Owner(userId), ct).ConfigureAwait(false);
        var shared = await ListAsync(AgentDefinition.SharedOwner, ct).ConfigureAwait(false);
        return [.. shared, .. own];
    }

    public Task CreateAsync(AgentDefinition agent, CancellationToken ct) =>
        agents.CreateAsync(agent.OwnerId, Type, agent, ct);

    /// <summary>Creates the agent unless it exists (seeding the default agent at start-up).</summary>
    public Task<bool> TryCreateAsync(AgentDefinition agent, CancellationToken ct) =>
        agents.TryCreateAsync(agent.OwnerId, Type, agent, ct);

    public Task<string> ReplaceAsync(AgentDefinition agent, string etag, CancellationToken ct) =>
        agents.ReplaceAsync(agent.OwnerId, Type, agent.Id, agent, etag, ct);

    public Task<bool> DeleteAsync(AgentDefinition agent, CancellationToken ct) =>
        agents.DeleteAsync(agent.OwnerId, agent.Id, ct);

    private Task<List<AgentDefinition>> ListAsync(string pk, CancellationToken ct) =>
        agents.QueryAllAsync<AgentDefinition>(pk,
            new QueryDefinition("SELECT * FROM c WHERE c.pk = @pk AND c.type = @type ORDER BY c.name")
                .WithParameter("@pk", pk).WithParameter("@type", Type), ct);
}
