using System.Collections.Concurrent;
using Agents.Domain.Identity;
using Microsoft.Extensions.Logging;

namespace Agents.Identity.ApiKeys;

/// <summary>
/// Keeps each user's <see cref="OwnerProfile"/> as their access tokens describe them, for their API keys to act with.
/// A token that says what this instance last saw stored for the user, or that is older than what it saw stored, costs
/// nothing for <see cref="Refresh"/>; any other is stored (the store keeps the profile of the newest token). So a
/// user's first request on an instance, a change of roles, tier or name, and every few minutes of activity each cost
/// a read and at most one write.
/// </summary>
public sealed partial class OwnerProfiles(IApiKeyStore store, TimeProvider time, ILogger<OwnerProfiles> logger)
{
    /// <summary>How long a stored profile is trusted here: another instance may have stored a newer one meanwhile.</summary>
    public static readonly TimeSpan Refresh = TimeSpan.FromMinutes(5);

    private const int MaxRemembered = 100_000;

    /// <summary>What this instance last saw stored for each user, and when.</summary>
    private readonly ConcurrentDictionary<string, (OwnerProfile Profile, DateTimeOffset SeenAt)> stored = new(StringComparer.Ordinal);

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

        var now = time.GetUtcNow();
        var profile = OwnerProfile.Of(caller, now);
        if (stored.TryGetValue(caller.UserId, out var last) && now - last.SeenAt < Refresh
            && (last.Profile.SameAs(profile) || last.Profile.IssuedAt > profile.IssuedAt))
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
        stored[caller.UserId] = (current, now);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The profile of {UserId} was not stored; their API keys act with the previous one: {Reason}")]
    private static partial void LogNotStored(ILogger logger, Exception e, string userId, string reason);
}
