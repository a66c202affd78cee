using Agents.Domain.Identity;

namespace Agents.Identity.ApiKeys;

/// <summary>
/// A key owner as their latest access token describes them. An API key acts with these roles, tier and name, looked up
/// at every use, so a key never has more than its owner has now (as far as their tokens tell: a role removed in the
/// identity provider reaches the keys with the owner's next token). <see cref="IssuedAt"/> is that token's, so an
/// older token still in use cannot undo what a newer one said.
/// </summary>
public sealed record OwnerProfile(
    string UserId,
    string TenantId,
    string DisplayName,
    IReadOnlyList<string> Roles,
    string? Tier,
    DateTimeOffset IssuedAt)
{
    public static OwnerProfile Of(Caller caller, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return new(caller.UserId, caller.TenantId, caller.DisplayName, [.. caller.Roles.Order(StringComparer.Ordinal)], caller.Tier,
            caller.IssuedAt ?? now);
    }
}
