namespace Agents.Identity.ApiKeys;

/// <summary>
/// A stored API key. Holds the hash of its secret, never the secret, and the owner as they were at creation (tenant,
/// display name, roles, tier): a record, and what the key acts with only if the owner has no <see cref="OwnerProfile"/>
/// (keys made before profiles existed). Otherwise it acts with the profile, read at every use.
/// </summary>
public sealed record ApiKeyRecord(
    string KeyId,
    string OwnerUserId,
    string OwnerTenantId,
    string OwnerDisplayName,
    IReadOnlyList<string> OwnerRoles,
    string? OwnerTier,
    string Name,
    IReadOnlyList<string> Scopes,
    string SecretHash,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt)
{
    public ApiKeyInfo ToInfo() => new(KeyId, Name, ApiKeyFormat.VisiblePrefix(KeyId), Scopes, CreatedAt, ExpiresAt);
}

/// <summary>What a listing shows of a key: everything but the secret (and its hash).</summary>
public sealed record ApiKeyInfo(
    string KeyId,
    string Name,
    string Prefix,
    IReadOnlyList<string> Scopes,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt);

/// <summary>A key just created. <see cref="Key"/> is shown this once and cannot be recovered.</summary>
public sealed record CreatedApiKey(ApiKeyInfo Info, string Key);
