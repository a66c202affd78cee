using System.Globalization;
using System.Security.Claims;
using Agents.Domain.Identity;

namespace Agents.Identity;

/// <summary>
/// The <see cref="Caller"/> as <c>HttpContext.User</c> carries it, whichever scheme authenticated the request:
/// <see cref="ToPrincipal"/> when a scheme succeeds, <see cref="ToCaller"/> for the typed view the handlers use.
/// Role and scope claims keep the token's names (<c>roles</c>, <c>scp</c>), so authorization policies read them as
/// they would read a token's.
/// </summary>
public static class CallerClaims
{
    public const string UserId = "agents_uid";
    public const string TenantId = "agents_tid";
    public const string Kind = "agents_kind";
    public const string ApiKeyId = "agents_key";
    public const string Tier = "agents_tier";
    public const string IssuedAt = "agents_iat";
    public const string Name = "name";
    public const string Role = "roles";
    public const string Scope = "scp";

    public static ClaimsPrincipal ToPrincipal(Caller caller, string scheme)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var claims = new List<Claim>
        {
            new(UserId, caller.UserId),
            new(TenantId, caller.TenantId),
            new(Name, caller.DisplayName),
            new(Kind, caller.Kind.ToString()),
        };
        claims.AddRange(caller.Roles.Select(r => new Claim(Role, r)));
        claims.AddRange(caller.Scopes.Select(s => new Claim(Scope, s)));
        if (caller.ApiKeyId is { } key)
        {
            claims.Add(new Claim(ApiKeyId, key));
        }

        if (caller.Tier is { } tier)
        {
            claims.Add(new Claim(Tier, tier));
        }

        if (caller.IssuedAt is { } issuedAt)
        {
            claims.Add(new Claim(IssuedAt, issuedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer64));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, Name, Role));
    }

    /// <summary>The caller of an authenticated principal (made by <see cref="ToPrincipal"/>); null for any other.</summary>
    public static Caller? ToCaller(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        if (principal.FindFirst(UserId)?.Value is not { } userId
            || !Enum.TryParse<CallerKind>(principal.FindFirst(Kind)?.Value, out var kind))
        {
            return null;
        }

        var issuedAt = principal.FindFirst(IssuedAt)?.Value is { } ms
            ? DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(ms, CultureInfo.InvariantCulture))
            : (DateTimeOffset?)null;
        return new Caller(
            userId,
            principal.FindFirst(TenantId)?.Value ?? "",
            principal.FindFirst(Name)?.Value ?? userId,
            kind,
            [.. principal.FindAll(Role).Select(c => c.Value)],
            [.. principal.FindAll(Scope).Select(c => c.Value)],
            principal.FindFirst(ApiKeyId)?.Value,
            principal.FindFirst(Tier)?.Value,
            issuedAt);
    }
}
