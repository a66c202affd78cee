namespace Agents.Identity.ApiKeys;

/// <summary>Persistence of API keys. Implementations must not cache: a revoked key must fail at once.</summary>
public interface IApiKeyStore
{
    /// <summary>Stores a new key (both its owner's entry and its look-up entry).</summary>
    Task CreateAsync(ApiKeyRecord key, CancellationToken cancellationToken);

    /// <summary>The key named <paramref name="keyId"/>, for authentication; null if there is none.</summary>
    Task<ApiKeyRecord?> FindAsync(string keyId, CancellationToken cancellationToken);

    /// <summary>The keys of one owner.</summary>
    Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string ownerUserId, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the owner's key, the look-up entry first (so it stops authenticating before it leaves the list).
    /// False when the owner has no such key, including when it belongs to someone else.
    /// </summary>
    Task<bool> DeleteAsync(string ownerUserId, string keyId, CancellationToken cancellationToken);

    /// <summary>The user's profile, for their keys to act with; null if none was stored.</summary>
    Task<OwnerProfile?> FindOwnerAsync(string userId, CancellationToken cancellationToken);

    /// <summary>Stores the user's profile, unless the stored one comes from a newer token; returns the one stored now.</summary>
    Task<OwnerProfile> SaveOwnerAsync(OwnerProfile profile, CancellationToken cancellationToken);
}
