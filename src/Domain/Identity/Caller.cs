namespace Agents.Domain.Identity;

/// <summary>How a caller proved who they are.</summary>
public enum CallerKind
{
    /// <summary>A delegated access token (a user signed in; carries <c>scp</c>).</summary>
    User,
    /// <summary>An app-only access token (a service; carries <c>roles</c>, no <c>scp</c>).</summary>
    Application,
    /// <summary>One of our API keys, acting as its owner with the key's scopes.</summary>
    ApiKey,
}

/// <summary>
/// The authenticated principal of a request. <see cref="UserId"/> is stable across providers:
/// Entra uses <c>tid</c> + <c>oid</c>, any other OIDC provider <c>iss</c> + <c>sub</c>.
/// Every stored record is owned by a <see cref="UserId"/>. <see cref="IssuedAt"/> is when an access token was issued
/// (<c>iat</c>), which orders what two tokens of one user say about their roles; null for an API key.
/// </summary>
public sealed record Caller(
    string UserId,
    string TenantId,
    string DisplayName,
    CallerKind Kind,
    IReadOnlyList<string> Roles,
    IReadOnlyList<string> Scopes,
    string? ApiKeyId = null,
    string? Tier = null,
    DateTimeOffset? IssuedAt = null)
{
    /// <summary>The app role that grants admin routes and the management of shared agents.</summary>
    public const string AdminRole = "Agents.Admin";

    /// <summary>The API-key scope without which a key never acts as an admin, whatever its owner's roles.</summary>
    public const string AdminKeyScope = "admin";

    /// <summary>Whether the caller holds the admin role (for an API key: whether its owner does now). Sets the default tier.</summary>
    public bool HasAdminRole => Roles.Contains(AdminRole, StringComparer.Ordinal);

    /// <summary>Whether the caller may act as an admin: the admin role, and for an API key its admin scope too.</summary>
    public bool IsAdmin => HasAdminRole && (Kind != CallerKind.ApiKey || Scopes.Contains(AdminKeyScope, StringComparer.Ordinal));
}
