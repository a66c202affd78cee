using System.Net;
using Microsoft.Azure.Cosmos;
using Newtonsoft.Json;
using StjName = System.Text.Json.Serialization.JsonPropertyNameAttribute;

namespace Agents.Identity.ApiKeys;

/// <summary>
/// API keys in the Cosmos DB container <c>apikeys</c> (partition key path <c>/pk</c>). Each key is two documents:
/// <list type="bullet">
/// <item>the owner's entry, <c>pk = ownerUserId</c>, <c>type = "apikey"</c>: listing is a single-partition query
/// and a user can only ever reach their own keys;</item>
/// <item>the look-up entry, <c>pk = "apikey:" + keyId</c>, <c>type = "apikeylookup"</c>: authentication is one
/// point read (1 RU) that needs no owner.</item>
/// </list>
/// Both carry the same fields (secret hash and owner snapshot). The owner's <see cref="OwnerProfile"/> is a third kind
/// of document, <c>id = "owner"</c> in the owner's partition, <c>type = "owner"</c>. Nothing is cached.
/// </summary>
public sealed class CosmosApiKeyStore(Container container) : IApiKeyStore
{
    public const string ContainerName = "apikeys";
    public const string PartitionKeyPath = "/pk";
    private const string OwnerType = "apikey";
    private const string LookupType = "apikeylookup";
    private const string OwnerProfileId = "owner";
    private const int MaxProfileAttempts = 5;

    public async Task CreateAsync(ApiKeyRecord key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var owner = ApiKeyDocument.From(key, key.OwnerUserId, OwnerType);
        await container.CreateItemAsync(owner, new PartitionKey(owner.Pk), cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            var lookup = ApiKeyDocument.From(key, LookupPartition(key.KeyId), LookupType);
            await container.CreateItemAsync(lookup, new PartitionKey(lookup.Pk), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Without its look-up entry the key could never authenticate: do not leave it in the owner's list.
            await DeleteIfExistsAsync(key.KeyId, owner.Pk, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    public async Task<ApiKeyRecord?> FindAsync(string keyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        var found = await ReadAsync<ApiKeyDocument>(keyId, LookupPartition(keyId), cancellationToken).ConfigureAwait(false);
        return found?.Document.ToRecord();
    }

    public async Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string ownerUserId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerUserId);
        var query = new QueryDefinition("SELECT * FROM c WHERE c.pk = @owner AND c.type = @type")
            .WithParameter("@owner", ownerUserId)
            .WithParameter("@type", OwnerType);
        var options = new QueryRequestOptions { PartitionKey = new PartitionKey(ownerUserId) };
        var keys = new List<ApiKeyRecord>();
        using var iterator = container.GetItemQueryIterator<ApiKeyDocument>(query, requestOptions: options);
        while (iterator.HasMoreResults)
        {
            foreach (var document in await iterator.ReadNextAsync(cancellationToken).ConfigureAwait(false))
            {
                keys.Add(document.ToRecord());
            }
        }

        return keys;
    }

    public async Task<bool> DeleteAsync(string ownerUserId, string keyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerUserId);
        ArgumentNullException.ThrowIfNull(keyId);
        // Reading from the caller's own partition is the ownership check: another user's key id is simply absent.
        // Only a key's entry counts: the owner's profile lives in the same partition.
        if (await ReadAsync<ApiKeyDocument>(keyId, ownerUserId, cancellationToken).ConfigureAwait(false) is not { Document.Type: OwnerType })
        {
            return false;
        }

        await DeleteIfExistsAsync(keyId, LookupPartition(keyId), cancellationToken).ConfigureAwait(false);
        await DeleteIfExistsAsync(keyId, ownerUserId, cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task<OwnerProfile?> FindOwnerAsync(string userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userId);
        return (await ReadAsync<OwnerProfileDocument>(OwnerProfileId, userId, cancellationToken).ConfigureAwait(false))?.Document.ToProfile();
    }

    public async Task<OwnerProfile> SaveOwnerAsync(OwnerProfile profile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var document = OwnerProfileDocument.From(profile, OwnerProfileId);
        var partition = new PartitionKey(profile.UserId);
        for (var attempt = 1; ; attempt++)
        {
            var current = await ReadAsync<OwnerProfileDocument>(OwnerProfileId, profile.UserId, cancellationToken).ConfigureAwait(false);
            if (current is { } stored && stored.Document.IssuedAt > profile.IssuedAt)
            {
                return stored.Document.ToProfile(); // a newer token said otherwise
            }

            try
            {
                if (current is { } existing)
                {
                    await container.ReplaceItemAsync(document, OwnerProfileId, partition,
                        new ItemRequestOptions { IfMatchEtag = existing.ETag }, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await container.CreateItemAsync(document, partition, cancellationToken: cancellationToken).ConfigureAwait(false);
                }

                return profile;
            }
            catch (CosmosException ex) when (ex.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict && attempt < MaxProfileAttempts)
            {
                // Another instance stored one meanwhile: compare with that one.
            }
        }
    }

    private static string LookupPartition(string keyId) => "apikey:" + keyId;

    /// <summary>A document and its ETag, or null when there is none.</summary>
    private async Task<(T Document, string ETag)?> ReadAsync<T>(string id, string partition, CancellationToken cancellationToken)
    {
        try
        {
            var response = await container.ReadItemAsync<T>(id, new PartitionKey(partition), cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            return (response.Resource, response.ETag);
        }
        catch (CosmosException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task DeleteIfExistsAsync(string id, string partition, CancellationToken cancellationToken)
    {
        try
        {
            await container.DeleteItemAsync<ApiKeyDocument>(id, new PartitionKey(partition), cancellationToken: cancellationToken)
                .ConfigureAwait(false);
        }
        catch (CosmosException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            // Already gone: deleting is idempotent.
        }
    }
}

/// <summary>
/// The stored shape. Names are set for both Newtonsoft (the SDK's default serializer) and System.Text.Json, so the
/// documents look the same whichever serializer the CosmosClient is configured with.
/// </summary>
internal sealed record ApiKeyDocument(
    [property: JsonProperty("id"), StjName("id")] string Id,
    [property: JsonProperty("pk"), StjName("pk")] string Pk,
    [property: JsonProperty("type"), StjName("type")] string Type,
    [property: JsonProperty("ownerUserId"), StjName("ownerUserId")] string OwnerUserId,
    [property: JsonProperty("ownerTenantId"), StjName("ownerTenantId")] string OwnerTenantId,
    [property: JsonProperty("ownerDisplayName"), StjName("ownerDisplayName")] string OwnerDisplayName,
    [property: JsonProperty("ownerRoles"), StjName("ownerRoles")] string[] OwnerRoles,
    [property: JsonProperty("ownerTier"), StjName("ownerTier")] string? OwnerTier,
    [property: JsonProperty("name"), StjName("name")] string Name,
    [property: JsonProperty("scopes"), StjName("scopes")] string[] Scopes,
    [property: JsonProperty("secretHash"), StjName("secretHash")] string SecretHash,
    [property: JsonProperty("createdAt"), StjName("createdAt")] DateTimeOffset CreatedAt,
    [property: JsonProperty("expiresAt"), StjName("expiresAt")] DateTimeOffset? ExpiresAt)
{
    public static ApiKeyDocument From(ApiKeyRecord key, string partition, string type) => new(
        key.KeyId, partition, type, key.OwnerUserId, key.OwnerTenantId, key.OwnerDisplayName, [.. key.OwnerRoles],
        key.OwnerTier, key.Name, [.. key.Scopes], key.SecretHash, key.CreatedAt, key.ExpiresAt);

    public ApiKeyRecord ToRecord() => new(
        Id, OwnerUserId, OwnerTenantId, OwnerDisplayName, OwnerRoles ?? [], OwnerTier, Name, Scopes ?? [],
        SecretHash, CreatedAt, ExpiresAt);
}

/// <summary>The stored shape of an <see cref="OwnerProfile"/> (names for both serializers, as above).</summary>
internal sealed record OwnerProfileDocument(
    [property: JsonProperty("id"), StjName("id")] string Id,
    [property: JsonProperty("pk"), StjName("pk")] string Pk,
    [property: JsonProperty("type"), StjName("type")] string Type,
    [property: JsonProperty("tenantId"), StjName("tenantId")] string TenantId,
    [property: JsonProperty("displayName"), StjName("displayName")] string DisplayName,
    [property: JsonProperty("roles"), StjName("roles")] string[] Roles,
    [property: JsonProperty("tier"), StjName("tier")] string? Tier,
    [property: JsonProperty("issuedAt"), StjName("issuedAt")] DateTimeOffset IssuedAt)
{
    public static OwnerProfileDocument From(OwnerProfile profile, string id) => new(
        id, profile.UserId, "owner", profile.TenantId, profile.DisplayName, [.. profile.Roles], profile.Tier, profile.IssuedAt);

    public OwnerProfile ToProfile() => new(Pk, TenantId, DisplayName, Roles ?? [], Tier, IssuedAt);
}
