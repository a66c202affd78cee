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
/// Every stored record is owned by a <see cref="UserId"/>.
/// </summary>
public sealed record Caller(
    string UserId,
    string TenantId,
    string DisplayName,
    CallerKind Kind,
    IReadOnlyList<string> Roles,
    IReadOnlyList<string> Scopes,
    string? ApiKeyId = null,
    string? Tier = null)
{
    /// <summary>The app role that grants admin routes and the management of shared agents.</summary>
    public const string AdminRole = "Agents.Admin";

    public bool IsAdmin => Roles.Contains(AdminRole, StringComparer.Ordinal);
}
