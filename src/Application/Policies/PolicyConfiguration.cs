using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Agents.Application.Http;
using Agents.Application.Storage.Cosmos;
using Agents.Domain.Agents;
using Agents.Domain.Errors;
using Microsoft.Extensions.Options;

namespace Agents.Application.Policies;

/// <summary>
/// The policy configuration and its precedence: file defaults (<c>Policies:Chain</c>) &lt; the stored configuration
/// (set by admins at run time, cached for <see cref="PolicyOptions.CacheSeconds"/>, at once on this instance) &lt; an
/// agent's override. The stored chain replaces the file's list of entries; settings merge per entry id, value by value.
/// </summary>
public sealed partial class PolicyConfiguration(PolicyCatalog catalog, FilePolicyChain file, CosmosDatabase cosmos, IOptions<PolicyOptions> options, TimeProvider clock)
{
    public const int MaxEntries = 20;
    private const string DocumentType = "policy-chain";
    private static readonly string[] FailModes = ["open", "closed"];

    private readonly DocumentContainer container = new(cosmos.Container(Containers.Policies));
    private volatile CachedChain? cache;

    public IReadOnlyList<PolicyEntry> FileChain => file.Entries;

    /// <summary>The stored chain (null when admins never set one), at most <see cref="PolicyOptions.CacheSeconds"/> old.</summary>
    public async Task<Stored<StoredPolicyChain>?> GetStoredAsync(CancellationToken ct)
    {
        var current = cache;
        var now = clock.GetUtcNow();
        if (current is not null && now - current.ReadAt < TimeSpan.FromSeconds(options.Value.CacheSeconds))
        {
            return current.Value;
        }
        var read = await container.ReadAsync<StoredPolicyChain>(StoredPolicyChain.PartitionKey, StoredPolicyChain.DocumentId, ct).ConfigureAwait(false);
        cache = new CachedChain(read, now);
        return read;
    }

    /// <summary>
    /// Validates and stores a chain (400 with field errors); <paramref name="ifMatch"/> guards against a concurrent
    /// change. Returns it with its new ETag, the <c>If-Match</c> of the next change.
    /// </summary>
    public async Task<Stored<StoredPolicyChain>> SetAsync(IReadOnlyList<PolicyEntry>? chain, string updatedBy, string? ifMatch, CancellationToken ct)
    {
        var errors = ValidateChain(chain, "chain");
        if (errors.Count > 0)
        {
            throw new ApiProblemException(Problems.Validation(errors));
        }
        cache = null;
        var existing = await container.ReadAsync<StoredPolicyChain>(StoredPolicyChain.PartitionKey, StoredPolicyChain.DocumentId, ct).ConfigureAwait(false);
        if (ifMatch is not null && existing is not null && !Http.EntityTags.Match(ifMatch, existing.ETag))
        {
            throw new ApiProblemException(Problems.Conflict("policy_chain_changed", "Someone else changed the chain first", "Read it again and retry with its ETag."));
        }
        var stored = new StoredPolicyChain
        {
            Chain = chain!,
            Version = (existing?.Value.Version ?? 0) + 1,
            UpdatedBy = updatedBy,
            UpdatedAt = clock.GetUtcNow(),
        };
        var etag = existing is null
            ? await container.CreateAsync(StoredPolicyChain.PartitionKey, DocumentType, stored, ct).ConfigureAwait(false)
            : await container.ReplaceAsync(StoredPolicyChain.PartitionKey, DocumentType, StoredPolicyChain.DocumentId, stored, existing.ETag, ct).ConfigureAwait(false);
        cache = null;
        return new Stored<StoredPolicyChain>(stored, etag);
    }

    /// <summary>Deletes the stored chain: the file defaults apply again.</summary>
    public async Task<bool> ResetAsync(CancellationToken ct)
    {
        cache = null;
        var deleted = await container.DeleteAsync(StoredPolicyChain.PartitionKey, StoredPolicyChain.DocumentId, ct).ConfigureAwait(false);
        cache = null;
        return deleted;
    }

    public async Task<EffectiveChain> ResolveAsync(AgentDefinition? agent, CancellationToken ct)
    {
        var stored = await GetStoredAsync(ct).ConfigureAwait(false);
        return Resolve(stored?.Value, ParseOverride(agent?.Policies));
    }

    /// <summary>The effective chain of the given layers (pure).</summary>
    public EffectiveChain Resolve(StoredPolicyChain? stored, AgentPolicyOverride? agent)
    {
        var baseChain = stored?.Chain ?? file.Entries;
        var ids = agent?.Chain ?? baseChain.Select(e => e.Key).ToList();
        var entries = new List<EffectivePolicy>();
        foreach (var id in ids.Distinct(StringComparer.Ordinal))
        {
            var fileEntry = file.Entries.FirstOrDefault(e => e.Key == id);
            var storedEntry = stored?.Chain.FirstOrDefault(e => e.Key == id);
            var policy = catalog.Find(storedEntry?.PolicyName ?? fileEntry?.PolicyName ?? id);
            if (policy is null)
            {
                continue; // an agent naming an entry that admins removed since: validated when set, skipped now
            }
            AgentSettings(agent, id, out var agentSettings);
            entries.Add(Merge(id, policy, fileEntry, storedEntry, agentSettings));
        }
        var source = agent?.Chain is not null ? SettingSources.Agent : stored is not null ? SettingSources.Stored : SettingSources.File;
        return new EffectiveChain(entries, source, stored?.Version ?? 0);
    }

    /// <summary>Field errors of a chain as an admin sets it.</summary>
    public List<FieldError> ValidateChain(IReadOnlyList<PolicyEntry>? chain, string path)
    {
        var errors = new List<FieldError>();
        if (chain is null)
        {
            errors.Add(new FieldError(path, "is required (an empty list means no policies)"));
            return errors;
        }
        if (chain.Count > MaxEntries)
        {
            errors.Add(new FieldError(path, $"may have at most {MaxEntries} entries"));
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < chain.Count; i++)
        {
            var entry = chain[i];
            var at = $"{path}[{i}]";
            if (entry is null)
            {
                errors.Add(new FieldError(at, "must be an object"));
                continue;
            }
            var policy = catalog.Find(entry.PolicyName);
            if (policy is null)
            {
                errors.Add(new FieldError($"{at}.policy", $"'{entry.PolicyName}' is not a policy; known policies: {string.Join(", ", catalog.Names)}"));
                continue;
            }
            if (!IdPattern().IsMatch(entry.Key))
            {
                errors.Add(new FieldError($"{at}.id", "must be 1-64 characters: lower-case letters, digits, '-', '_' or '.'"));
            }
            else if (!seen.Add(entry.Key))
            {
                errors.Add(new FieldError($"{at}.id", $"'{entry.Key}' appears twice; give each entry of the same policy its own id"));
            }
            if (entry.TimeoutMs is < 1 or > 120_000)
            {
                errors.Add(new FieldError($"{at}.timeoutMs", "must be between 1 and 120000"));
            }
            if (entry.FailMode is not null && !FailModes.Contains(entry.FailMode, StringComparer.Ordinal))
            {
                errors.Add(new FieldError($"{at}.failMode", "must be 'open' or 'closed'"));
            }
            var settingErrors = policy.Schema.Validate(entry.Settings, $"{at}.settings");
            errors.AddRange(settingErrors);
            if (settingErrors.Count == 0)
            {
                var merged = Merge(entry.Key, policy, file.Entries.FirstOrDefault(e => e.Key == entry.Key), entry, null);
                errors.AddRange(policy.Check(merged.Settings, $"{at}.settings"));
            }
        }
        return errors;
    }

    /// <summary>Field errors of an agent's <c>policies</c> override, checked against the current configuration.</summary>
    public async Task<List<FieldError>> ValidateAgentOverrideAsync(JsonElement? element, string path, CancellationToken ct)
    {
        var errors = new List<FieldError>();
        if (element is not { } value || value.ValueKind == JsonValueKind.Null)
        {
            return errors;
        }
        if (value.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new FieldError(path, "must be an object with 'chain' and/or 'settings'"));
            return errors;
        }
        var stored = (await GetStoredAsync(ct).ConfigureAwait(false))?.Value;
        var baseChain = stored?.Chain ?? file.Entries;
        Policy? PolicyOf(string id) => catalog.Find(baseChain.FirstOrDefault(e => e.Key == id)?.PolicyName ?? file.Entries.FirstOrDefault(e => e.Key == id)?.PolicyName ?? id);

        foreach (var property in value.EnumerateObject())
        {
            switch (property.Name)
            {
                case "chain" when property.Value.ValueKind == JsonValueKind.Array:
                    var i = 0;
                    foreach (var item in property.Value.EnumerateArray())
                    {
                        if (item.ValueKind != JsonValueKind.String || PolicyOf(item.GetString()!) is null)
                        {
                            errors.Add(new FieldError($"{path}.chain[{i}]", $"must name an entry of the chain or a policy; known policies: {string.Join(", ", catalog.Names)}"));
                        }
                        i++;
                    }
                    if (i > MaxEntries)
                    {
                        errors.Add(new FieldError($"{path}.chain", $"may have at most {MaxEntries} entries"));
                    }
                    break;
                case "settings" when property.Value.ValueKind == JsonValueKind.Object:
                    foreach (var entry in property.Value.EnumerateObject())
                    {
                        var policy = PolicyOf(entry.Name);
                        if (policy is null)
                        {
                            errors.Add(new FieldError($"{path}.settings.{entry.Name}", "must name an entry of the chain or a policy"));
                        }
                        else if (entry.Value.ValueKind != JsonValueKind.Object)
                        {
                            errors.Add(new FieldError($"{path}.settings.{entry.Name}", "must be an object of settings"));
                        }
                        else
                        {
                            errors.AddRange(policy.Schema.Validate(JsonNode.Parse(entry.Value.GetRawText()) as JsonObject, $"{path}.settings.{entry.Name}"));
                        }
                    }
                    break;
                case "chain":
                    errors.Add(new FieldError($"{path}.chain", "must be an array of entry ids or policy names"));
                    break;
                case "settings":
                    errors.Add(new FieldError($"{path}.settings", "must be an object: entry id → settings"));
                    break;
                default:
                    errors.Add(new FieldError($"{path}.{property.Name}", "is not a member; use 'chain' and/or 'settings'"));
                    break;
            }
        }
        return errors;
    }

    /// <summary>Reads an agent's override leniently (it was validated when the agent was saved).</summary>
    public static AgentPolicyOverride? ParseOverride(JsonElement? element)
    {
        if (element is not { ValueKind: JsonValueKind.Object } value)
        {
            return null;
        }
        List<string>? chain = null;
        var settings = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        if (value.TryGetProperty("chain", out var c) && c.ValueKind == JsonValueKind.Array)
        {
            chain = c.EnumerateArray().Where(i => i.ValueKind == JsonValueKind.String).Select(i => i.GetString()!).ToList();
        }
        if (value.TryGetProperty("settings", out var s) && s.ValueKind == JsonValueKind.Object)
        {
            foreach (var entry in s.EnumerateObject())
            {
                if (JsonNode.Parse(entry.Value.GetRawText()) is JsonObject o)
                {
                    settings[entry.Name] = o;
                }
            }
        }
        return new AgentPolicyOverride(chain, settings);
    }

    private static void AgentSettings(AgentPolicyOverride? agent, string id, out JsonObject? settings) =>
        settings = agent is not null && agent.Settings.TryGetValue(id, out var s) ? s : null;

    private static EffectivePolicy Merge(string id, Policy policy, PolicyEntry? fileEntry, PolicyEntry? storedEntry, JsonObject? agentSettings)
    {
        var values = policy.Schema.Defaults();
        var sources = policy.Schema.Fields.ToDictionary(f => f.Name, _ => SettingSources.Default, StringComparer.Ordinal);
        void Overlay(JsonObject? layer, string source)
        {
            foreach (var (key, value) in layer ?? [])
            {
                if (policy.Schema.Find(key) is not null)
                {
                    values[key] = value?.DeepClone();
                    sources[key] = source;
                }
            }
        }
        Overlay(fileEntry?.Settings, SettingSources.File);
        Overlay(storedEntry?.Settings, SettingSources.Stored);
        Overlay(agentSettings, SettingSources.Agent);

        T Pick<T>(string key, T fallback, T? fromFile, T? fromStored) where T : struct
        {
            sources[key] = fromStored.HasValue ? SettingSources.Stored : fromFile.HasValue ? SettingSources.File : SettingSources.Default;
            return fromStored ?? fromFile ?? fallback;
        }
        var enabled = Pick("enabled", true, fileEntry?.Enabled, storedEntry?.Enabled);
        var timeout = Pick("timeoutMs", policy.DefaultTimeoutMs, fileEntry?.TimeoutMs, storedEntry?.TimeoutMs);
        var failMode = storedEntry?.FailMode ?? fileEntry?.FailMode ?? "closed";
        sources["failMode"] = storedEntry?.FailMode is not null ? SettingSources.Stored : fileEntry?.FailMode is not null ? SettingSources.File : SettingSources.Default;
        return new EffectivePolicy(id, policy, enabled, timeout, failMode == "open", new PolicySettings(values), sources);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex IdPattern();

    private sealed record CachedChain(Stored<StoredPolicyChain>? Value, DateTimeOffset ReadAt);
}
