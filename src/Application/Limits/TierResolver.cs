using System.Collections.Concurrent;
using System.Net;
using Agents.Application.Storage.Cosmos;
using Agents.Domain.Identity;
using Microsoft.Azure.Cosmos;

namespace Agents.Application.Limits;

/// <summary>A user's tier and where it came from: <c>admin_setting</c>, <c>claim</c>, <c>role</c>, <c>last_seen</c> or <c>default</c>.</summary>
public sealed record ResolvedTier(string Name, TierLimits Limits, string Source);

/// <summary>The admin setting of a user's tier, as stored (and shown by the admin routes).</summary>
public sealed record TierSetting
{
    public const string DocumentId = "tier";

    public string Id { get; init; } = DocumentId;
    public string? AdminTier { get; init; }
    public string? SetBy { get; init; }
    public DateTimeOffset? SetAt { get; init; }
    /// <summary>The tier the user's own requests last carried (claim or admin role), for work done without a caller (runs).</summary>
    public string? CallerTier { get; init; }
}

/// <summary>
/// Decides a user's tier: an admin setting (stored in the <c>limits</c> container, document <c>tier</c> in the user's
/// partition) wins over the token's tier claim, which wins over the admin role (tier <c>admin</c>), which wins over
/// <c>Limits:DefaultTier</c>. A name that is not a configured tier is skipped. The setting is cached for
/// <c>Limits:TierCacheSeconds</c>; this instance forgets it at once when it changes it.
/// A run executes without its caller, so the tier a caller carried is remembered on the same document
/// (written only when it changes) and used for the run's token budget.
/// </summary>
public sealed class TierResolver(CosmosDatabase cosmos, LimitsOptions options, TimeProvider clock)
{
    private const string Type = "tier";
    private readonly Container container = cosmos.Container(Containers.Limits);
    private readonly DocumentContainer documents = new(cosmos.Container(Containers.Limits));
    private readonly ConcurrentDictionary<string, (TierSetting? Setting, DateTimeOffset Expires)> cache = new(StringComparer.Ordinal);

    /// <summary>The tier of a request's caller; also remembers the caller's own tier for the user's runs.</summary>
    public async Task<ResolvedTier> ResolveAsync(Caller caller, CancellationToken ct)
    {
        var setting = await GetSettingAsync(caller.UserId, ct).ConfigureAwait(false);
        var (carried, source) = CarriedTier(caller);
        if (!string.Equals(carried, setting?.CallerTier, StringComparison.Ordinal))
        {
            setting = await WriteAsync(caller.UserId, [PatchOperation.Set("/callerTier", carried)], s => s with { CallerTier = carried }, ct).ConfigureAwait(false);
        }
        return options.Find(setting?.AdminTier) is { } admin ? new ResolvedTier(options.CanonicalName(setting!.AdminTier)!, admin, "admin_setting")
            : carried is not null ? new ResolvedTier(carried, options.Find(carried)!, source)
            : Default();
    }

    /// <summary>The tier of a user when no request is at hand (a run's model calls): the setting, else the tier last carried.</summary>
    public async Task<ResolvedTier> ResolveForUserAsync(string userId, CancellationToken ct)
    {
        var setting = await GetSettingAsync(userId, ct).ConfigureAwait(false);
        return options.Find(setting?.AdminTier) is { } admin ? new ResolvedTier(options.CanonicalName(setting!.AdminTier)!, admin, "admin_setting")
            : options.Find(setting?.CallerTier) is { } last ? new ResolvedTier(options.CanonicalName(setting!.CallerTier)!, last, "last_seen")
            : Default();
    }

    /// <summary>Sets (or with null clears) the admin setting; <paramref name="tier"/> must be a configured tier.</summary>
    public Task<TierSetting> SetAsync(string userId, string? tier, string setBy, CancellationToken ct)
    {
        var name = tier is null ? null : options.CanonicalName(tier) ?? throw new ArgumentException($"'{tier}' is not a configured tier.", nameof(tier));
        var now = clock.GetUtcNow();
        return WriteAsync(userId,
            [PatchOperation.Set("/adminTier", name), PatchOperation.Set("/setBy", setBy), PatchOperation.Set("/setAt", now)],
            s => s with { AdminTier = name, SetBy = setBy, SetAt = now }, ct);
    }

    public async Task<TierSetting?> GetSettingAsync(string userId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (cache.TryGetValue(userId, out var cached) && cached.Expires > now)
        {
            return cached.Setting;
        }
        var stored = (await documents.ReadAsync<TierSetting>(PartitionKeys.Owner(userId), TierSetting.DocumentId, ct).ConfigureAwait(false))?.Value;
        Remember(userId, stored);
        return stored;
    }

    private (string? Name, string Source) CarriedTier(Caller caller) =>
        options.CanonicalName(caller.Tier) is { } claimed ? (claimed, "claim")
        : caller.HasAdminRole && options.CanonicalName(LimitsOptions.Admin) is { } admin ? (admin, "role")
        : (null, "default");

    private ResolvedTier Default() => new(options.CanonicalName(options.DefaultTier)!, options.Find(options.DefaultTier)!, "default");

    /// <summary>Patches the fields (so the admin setting and the carried tier never overwrite each other), creating the document if needed.</summary>
    private async Task<TierSetting> WriteAsync(string userId, IReadOnlyList<PatchOperation> patch, Func<TierSetting, TierSetting> change, CancellationToken ct)
    {
        var pk = PartitionKeys.Owner(userId);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var patched = await container.PatchItemAsync<TierSetting>(TierSetting.DocumentId, new PartitionKey(pk), patch, cancellationToken: ct).ConfigureAwait(false);
                Remember(userId, patched.Resource);
                return patched.Resource;
            }
            catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                var created = change(new TierSetting());
                if (await documents.TryCreateAsync(pk, Type, created, ct).ConfigureAwait(false))
                {
                    Remember(userId, created);
                    return created;
                }
                if (attempt >= 3)
                {
                    throw;
                }
            }
        }
    }

    private void Remember(string userId, TierSetting? setting)
    {
        if (options.TierCacheSeconds > 0)
        {
            cache[userId] = (setting, clock.GetUtcNow().AddSeconds(options.TierCacheSeconds));
        }
    }
}
