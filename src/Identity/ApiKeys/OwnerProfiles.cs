using System.Collections.Concurrent;
using Agents.Domain.Identity;
using Microsoft.Extensions.Logging;

namespace Agents.Identity.ApiKeys;

/// <summary>
/// Keeps each user's <see cref="OwnerProfile"/> as their access tokens describe them, for their API keys to act with.
/// A token issued no later than the profile this instance last saw stored for the user costs nothing (it cannot
/// replace it); a newer one is offered to the store, which keeps the profile of the newest token and answers with it.
/// So each new token of a user costs a read and at most one write per instance: about one an hour per active user.
/// </summary>
public sealed partial class OwnerProfiles(IApiKeyStore store, TimeProvider time, ILogger<OwnerProfiles> logger)
{
    private const int MaxRemembered = 100_000;

    /// <summary>What this instance last saw stored for each user.</summary>
    private readonly ConcurrentDictionary<string, OwnerProfile> stored = new(StringComparer.Ordinal);

    /// <summary>
    /// Records what a user's access token says. A failure to store it is logged and not thrown: the request goes on,
    /// and the user's keys act with the last profile stored.
    /// </summary>
    public async Task NoteAsync(Caller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.Kind != CallerKind.User)
        {
            return;
        }

        var profile = OwnerProfile.Of(caller, time.GetUtcNow());
        if (stored.TryGetValue(caller.UserId, out var last) && profile.IssuedAt <= last.IssuedAt)
        {
            return;
        }

        OwnerProfile current;
        try
        {
            current = await store.SaveOwnerAsync(profile, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogNotStored(logger, e, caller.UserId, e.Message);
            return;
        }

        if (stored.Count >= MaxRemembered)
        {
            stored.Clear(); // a bound, not an eviction policy: each user costs one more write after it
        }
        stored[caller.UserId] = current;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The profile of {UserId} was not stored; their API keys act with the previous one: {Reason}")]
    private static partial void LogNotStored(ILogger logger, Exception e, string userId, string reason);
}
