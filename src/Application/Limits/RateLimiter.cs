using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Serialization;
using Agents.Application.Storage.Cosmos;
using Agents.Domain.Identity;
using Microsoft.Azure.Cosmos;

namespace Agents.Application.Limits;

/// <summary>Which of a tier's request limits applies to a route.</summary>
public enum RateLimitPolicy
{
    /// <summary><see cref="TierLimits.RequestsPerMinute"/>: every route that is not costly.</summary>
    General,

    /// <summary><see cref="TierLimits.CostlyRequestsPerMinute"/>: run creation and gateway calls.</summary>
    Costly,
}

/// <summary>The outcome of one check: admitted or not, and what the rate limit headers say.</summary>
public sealed record RateLimitDecision(bool Admitted, int Limit, int Remaining, DateTimeOffset ResetAt, bool FromFastPath = false)
{
    /// <summary>Whole seconds until the window resets (at least 1): the value of X-RateLimit-Reset and Retry-After.</summary>
    public int ResetSeconds(DateTimeOffset now) => Math.Max(1, (int)Math.Ceiling((ResetAt - now).TotalSeconds));
}

/// <summary>
/// Fixed one-minute windows (aligned to the minute, UTC) counted in Cosmos DB, so that every instance shares them.
/// One counter document per subject (the API key when the caller used one, else the user) and policy, in the user's
/// partition of the <c>limits</c> container; it carries the window it counts. A request is admitted by a Patch that
/// increments the count only <c>WHERE c.window = @window AND c.count &lt; @limit</c>: the database applies the
/// condition and the increment atomically, so no interleaving of instances admits more than the limit. A 412 means
/// the window is full (refused) or older (the first request of a new window resets the document, ETag-conditionally).
/// <para>
/// Fast path: this instance remembers the highest count the database returned for each counter and window. Counts
/// only grow within a window, so when that lower bound has reached the limit the database would refuse too, and the
/// request is refused without a round trip. The fast path can only refuse; every admission is a database write.
/// </para>
/// </summary>
public sealed class RateLimiter(CosmosDatabase cosmos, TimeProvider clock)
{
    public const int WindowSeconds = 60;
    private const string Type = "rate";
    private const int MaxRemembered = 100_000;

    private readonly Container container = cosmos.Container(Containers.Limits);
    private readonly ConcurrentDictionary<string, KnownCount> known = new(StringComparer.Ordinal);

    /// <summary>Counts one request of <paramref name="caller"/> against <paramref name="limit"/> requests per minute.</summary>
    public async Task<RateLimitDecision> AcquireAsync(Caller caller, RateLimitPolicy policy, int limit, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var window = now.ToUnixTimeSeconds() / WindowSeconds * WindowSeconds;
        var id = CounterId(caller, policy);
        var pk = PartitionKeys.Owner(caller.UserId);
        if (known.TryGetValue(id, out var seen) && seen.Window == window && seen.Count >= limit)
        {
            return Decision(false, limit, seen.Count, window, fromFastPath: true);
        }

        for (var attempt = 0; attempt < 8; attempt++)
        {
            try
            {
                var patched = await container.PatchItemAsync<RateCounter>(id, new PartitionKey(pk), [PatchOperation.Increment("/count", 1)],
                    new PatchItemRequestOptions { FilterPredicate = FormattableString.Invariant($"FROM c WHERE c.window = {window} AND c.count < {limit}") },
                    ct).ConfigureAwait(false);
                return Admit(id, limit, window, patched.Resource.Count);
            }
            catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                if (await TryWriteAsync(() => container.CreateItemAsync(new RateCounter(id, pk, Type, window, 1), new PartitionKey(pk), NoContent, ct)).ConfigureAwait(false))
                {
                    return Admit(id, limit, window, 1);
                }
            }
            catch (CosmosException e) when (e.StatusCode == HttpStatusCode.PreconditionFailed)
            {
                var current = await container.ReadItemAsync<RateCounter>(id, new PartitionKey(pk), cancellationToken: ct).ConfigureAwait(false);
                if (current.Resource.Window == window)
                {
                    Remember(id, window, current.Resource.Count);
                    if (current.Resource.Count >= limit)
                    {
                        return Decision(false, limit, current.Resource.Count, window);
                    }
                    continue; // the limit was raised since the count was read: try again
                }
                if (current.Resource.Window > window)
                {
                    // Another instance's clock is ahead and opened the next window: count in that one.
                    window = current.Resource.Window;
                    continue;
                }
                var reset = new RateCounter(id, pk, Type, window, 1);
                if (await TryWriteAsync(() => container.ReplaceItemAsync(reset, id, new PartitionKey(pk), new ItemRequestOptions { IfMatchEtag = current.ETag, EnableContentResponseOnWrite = false }, ct)).ConfigureAwait(false))
                {
                    return Admit(id, limit, window, 1);
                }
            }
        }
        throw new CosmosException("The rate limit counter kept changing under us.", HttpStatusCode.ServiceUnavailable, 0, "", 0);
    }

    private RateLimitDecision Admit(string id, int limit, long window, int count)
    {
        Remember(id, window, count);
        return Decision(true, limit, count, window);
    }

    private static RateLimitDecision Decision(bool admitted, int limit, int count, long window, bool fromFastPath = false) =>
        new(admitted, limit, Math.Max(0, limit - count), DateTimeOffset.FromUnixTimeSeconds(window + WindowSeconds), fromFastPath);

    /// <summary>Keeps the highest count seen for the window (a lower bound of the real count).</summary>
    private void Remember(string id, long window, int count)
    {
        if (known.Count > MaxRemembered)
        {
            var current = clock.GetUtcNow().ToUnixTimeSeconds() / WindowSeconds * WindowSeconds;
            foreach (var stale in known.Where(k => k.Value.Window < current))
            {
                known.TryRemove(stale);
            }
        }
        known.AddOrUpdate(id, new KnownCount(window, count),
            (_, old) => old.Window > window || (old.Window == window && old.Count >= count) ? old : new KnownCount(window, count));
    }

    /// <summary>A create or conditional replace; false when another instance got there first (409/412).</summary>
    private static async Task<bool> TryWriteAsync(Func<Task> write)
    {
        try
        {
            await write().ConfigureAwait(false);
            return true;
        }
        catch (CosmosException e) when (e.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.PreconditionFailed)
        {
            return false;
        }
    }

    private static string CounterId(Caller caller, RateLimitPolicy policy)
    {
        var subject = caller.ApiKeyId is { Length: > 0 } key ? $"key:{key}" : $"user:{caller.UserId}";
        return policy == RateLimitPolicy.Costly ? $"rate|costly|{subject}" : $"rate|general|{subject}";
    }

    private static readonly ItemRequestOptions NoContent = new() { EnableContentResponseOnWrite = false };

    private readonly record struct KnownCount(long Window, int Count);

    /// <summary>The counter document: the window it counts (unix seconds of its start) and the requests admitted in it.</summary>
    internal sealed record RateCounter(
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("pk")] string Pk,
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("window")] long Window,
        [property: JsonPropertyName("count")] int Count);
}
