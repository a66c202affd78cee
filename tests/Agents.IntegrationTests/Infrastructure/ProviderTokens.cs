using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Agents.IntegrationTests.Infrastructure;

/// <summary>
/// Access tokens signed with the local OIDC provider's own key but with claims a test chooses: a claim that is wrong in
/// one way, or a user whose roles changed. The provider keeps its private key in its data folder.
/// </summary>
public static class ProviderTokens
{
    private static readonly Dictionary<string, (string Oid, string Name, string[] Roles)> Users = new(StringComparer.Ordinal)
    {
        ["alice"] = ("a11ce000-0000-4000-8000-000000000001", "Alice Admin", ["Agents.Admin"]),
        ["bob"] = ("b0b00000-0000-4000-8000-000000000002", "Bob User", []),
    };

    public static string OidcDataDir => Environment.GetEnvironmentVariable("AGENTS_TEST_OIDC_DATA_DIR")
        ?? throw new InvalidOperationException("AGENTS_TEST_OIDC_DATA_DIR is not set (./dev test sets it).");

    /// <summary>The claims the provider gives <paramref name="user"/> (local/dev-users.mjs), with the changes asked for.</summary>
    public static Dictionary<string, object> Claims(
        string user = "bob", string? issuer = null, string audience = "api://agents", string scope = "Agents.Access", string[]? roles = null)
    {
        var (oid, name, usual) = Users[user];
        var claims = new Dictionary<string, object>
        {
            ["iss"] = issuer ?? StackEnvironment.Current.Issuer,
            ["aud"] = audience,
            ["sub"] = user,
            ["oid"] = oid,
            ["tid"] = "7d3c0f4e-0000-4000-8000-00000000a9e1",
            ["scp"] = scope,
            ["name"] = name,
        };
        if ((roles ?? usual) is { Length: > 0 } granted)
        {
            claims["roles"] = granted;
        }
        return claims;
    }

    /// <summary>A token with <paramref name="claims"/>, issued a minute ago (or at <paramref name="issuedAt"/>) and valid for ten.</summary>
    public static string Sign(
        Dictionary<string, object> claims, DateTime? expires = null, DateTime? notBefore = null, string? kid = null, RSA? key = null, DateTime? issuedAt = null)
    {
        SecurityKey signingKey = key is null ? ProviderKey() : new RsaSecurityKey(key) { KeyId = kid };
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            IssuedAt = issuedAt ?? notBefore ?? now.AddMinutes(-1),
            NotBefore = notBefore ?? issuedAt ?? now.AddMinutes(-1),
            Expires = expires ?? now.AddMinutes(10),
            TokenType = "at+jwt",
            SigningCredentials = new SigningCredentials(signingKey, SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary>The provider's private signing key, from its data folder.</summary>
    public static JsonWebKey ProviderKey()
    {
        var jwks = JsonDocument.Parse(File.ReadAllText(Path.Combine(OidcDataDir, "oidc", "jwks.json")));
        return new JsonWebKey(jwks.RootElement.GetProperty("keys")[0].GetRawText());
    }
}
