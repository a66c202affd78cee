using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Agents.Application.Policies;

/// <summary>
/// File settings of the policy pipeline (section <c>Policies</c>). The chain itself (<c>Policies:Chain</c>, a list of
/// <see cref="PolicyEntry"/>) is read apart from these options because its settings are free-form per policy.
/// </summary>
public sealed class PolicyOptions
{
    public const string Section = "Policies";

    /// <summary>How long the stored configuration is cached; a change made through this instance applies at once.</summary>
    [Range(0, 300)]
    public int CacheSeconds { get; set; } = 2;

    /// <summary>The model the tool-call judge asks when its entry sets no <c>judgeModel</c> (default: Model:Deployment).</summary>
    public string? JudgeModel { get; set; }
}

/// <summary>
/// One entry of a chain as configured (in the file, the stored configuration or an agent): which policy, under
/// which id, and what it overrides. Unset members come from the layer below, then from the policy's defaults.
/// </summary>
public sealed record PolicyEntry
{
    /// <summary>The policy's name (see <c>GET /api/v1/admin/policies</c>); defaults to <see cref="Id"/>.</summary>
    public string? Policy { get; init; }

    /// <summary>The entry's id, unique in the chain (two entries may use the same policy); defaults to the policy name.</summary>
    public string? Id { get; init; }

    public bool? Enabled { get; init; }

    /// <summary>The entry's time budget per call.</summary>
    public int? TimeoutMs { get; init; }

    /// <summary><c>open</c>: a timeout or failure passes; <c>closed</c>: it blocks.</summary>
    public string? FailMode { get; init; }

    public JsonObject? Settings { get; init; }

    [JsonIgnore]
    public string Key => Id ?? Policy ?? "";

    [JsonIgnore]
    public string PolicyName => Policy ?? Id ?? "";
}

/// <summary>The chain stored by admins in the <c>policies</c> container (one document; the version counts changes).</summary>
public sealed record StoredPolicyChain
{
    public const string DocumentId = "chain";
    public const string PartitionKey = "global";

    public string Id { get; init; } = DocumentId;
    public IReadOnlyList<PolicyEntry> Chain { get; init; } = [];
    public long Version { get; init; }
    public string? UpdatedBy { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>
/// An agent's override (<c>AgentDefinition.Policies</c>): <c>chain</c> replaces the list of entries (ids of configured
/// entries or policy names), <c>settings</c> overrides settings per entry id.
/// </summary>
public sealed record AgentPolicyOverride(IReadOnlyList<string>? Chain, IReadOnlyDictionary<string, JsonObject> Settings);

/// <summary>Where an effective value came from, lowest precedence first.</summary>
public static class SettingSources
{
    public const string Default = "default";
    public const string File = "file";
    public const string Stored = "stored";
    public const string Agent = "agent";
}

/// <summary>One entry of the effective chain: the policy, its resolved settings, and the source of each value.</summary>
public sealed record EffectivePolicy(
    string Id, Policy Policy, bool Enabled, int TimeoutMs, bool FailOpen, PolicySettings Settings, IReadOnlyDictionary<string, string> Sources);

/// <summary>The chain that applies to a call, after file defaults &lt; stored configuration &lt; agent override.</summary>
public sealed record EffectiveChain(IReadOnlyList<EffectivePolicy> Entries, string ChainSource, long StoredVersion)
{
    public bool Has(PolicyStage stage) => Entries.Any(e => e.Enabled && e.Policy.Stages.Contains(stage));

    public IEnumerable<EffectivePolicy> For(PolicyStage stage) => Entries.Where(e => e.Enabled && e.Policy.Stages.Contains(stage));
}
