using System.Collections.Concurrent;
using Agents.Identity.ApiKeys;

namespace Agents.Identity.Tests.Infrastructure;

/// <summary>Test double with the same owner/look-up semantics as the Cosmos store.</summary>
public sealed class InMemoryApiKeyStore : IApiKeyStore
{
    private readonly ConcurrentDictionary<string, ApiKeyRecord> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, OwnerProfile> _owners = new(StringComparer.Ordinal);

    public IReadOnlyCollection<ApiKeyRecord> Stored => [.. _keys.Values];

    public Task CreateAsync(ApiKeyRecord key, CancellationToken cancellationToken) =>
        _keys.TryAdd(key.KeyId, key) ? Task.CompletedTask : throw new InvalidOperationException("Duplicate key id.");

    public Task<ApiKeyRecord?> FindAsync(string keyId, CancellationToken cancellationToken) =>
        Task.FromResult(_keys.GetValueOrDefault(keyId));

    public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string ownerUserId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ApiKeyRecord>>([.. _keys.Values.Where(k => k.OwnerUserId == ownerUserId)]);

    public int OwnerSaves { get; private set; }

    /// <summary>Drops every owner profile, as for keys made before profiles existed.</summary>
    public void ForgetOwners() => _owners.Clear();

    public Task<OwnerProfile?> FindOwnerAsync(string userId, CancellationToken cancellationToken) =>
        Task.FromResult(_owners.GetValueOrDefault(userId));

    public Task<OwnerProfile> SaveOwnerAsync(OwnerProfile profile, CancellationToken cancellationToken)
    {
        OwnerSaves++;
        return Task.FromResult(_owners.AddOrUpdate(profile.UserId, profile, (_, stored) => stored.IssuedAt > profile.IssuedAt ? stored : profile));
    }

    public Task<bool> DeleteAsync(string ownerUserId, string keyId, CancellationToken cancellationToken) =>
        Task.FromResult(_keys.TryGetValue(keyId, out var key) && key.OwnerUserId == ownerUserId && _keys.TryRemove(keyId, out _));
}
