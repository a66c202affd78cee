using Agents.Application.Gateway.Activity;
using Agents.Domain.Agents;
using Microsoft.Extensions.Logging;

namespace Agents.Application.Policies;

/// <summary>The kinds of policy this deployment knows, by name.</summary>
public sealed class PolicyCatalog(IEnumerable<Policy> policies)
{
    private readonly Dictionary<string, Policy> byName = policies.ToDictionary(p => p.Name, StringComparer.Ordinal);

    public IReadOnlyCollection<Policy> All => byName.Values;

    public IEnumerable<string> Names => byName.Keys.Order(StringComparer.Ordinal);

    public Policy? Find(string? name) => name is not null && byName.TryGetValue(name, out var policy) ? policy : null;
}

/// <summary>Builds the chain for a call: resolves the effective configuration and binds it to the call's scope.</summary>
public sealed class PolicyEngine(PolicyConfiguration configuration, ActivityFeed activity, ILogger<PolicyChain> logger)
{
    public async Task<PolicyChain> ChainForAsync(PolicyScope scope, AgentDefinition? agent, CancellationToken ct) =>
        Chain(await configuration.ResolveAsync(agent, ct).ConfigureAwait(false), scope);

    public PolicyChain Chain(EffectiveChain chain, PolicyScope scope) => new(chain, scope, activity, logger);
}
