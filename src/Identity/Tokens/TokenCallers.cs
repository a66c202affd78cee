using Agents.Domain.Identity;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Agents.Identity.Tokens;

/// <summary>
/// What a validated access token means to us: the <see cref="Caller"/> its claims describe (stable ids, kind, roles,
/// scopes), or the refusal of a token that is signed and current but unusable (no <c>oid</c>, a tenant that
/// contradicts the issuer). And the fixed texts for the library's validation failures. JwtBearer validates; this
/// only reads.
/// </summary>
internal static class TokenCallers
{
    /// <summary>The caller of <paramref name="token"/>, accepted by <paramref name="trusted"/>'s scheme.</summary>
    public static Caller Read(TrustedIssuer trusted, JsonWebToken token, string tierClaim)
    {
        var scopeClaim = Claim(token, "scp") ?? Claim(token, "scope");
        var scopes = (scopeClaim ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var roles = token.Claims.Where(c => c.Type == "roles").Select(c => c.Value).Distinct(StringComparer.Ordinal).ToArray();
        var kind = scopeClaim is null ? CallerKind.Application : CallerKind.User;

        string userId, tenantId;
        if (trusted.EntraTenant is { } tenant)
        {
            if (!Guid.TryParse(Claim(token, "tid"), out var tid) || tid != tenant)
            {
                throw Rejected("The token's tenant does not match its issuer.");
            }

            if (!Guid.TryParse(Claim(token, "oid"), out var oid))
            {
                throw Rejected("The token has no valid oid claim.");
            }

            userId = StableIds.EntraUser(tid, oid);
            tenantId = tid.ToString("D");
        }
        else
        {
            var subject = Claim(token, "sub") ?? throw Rejected("The token has no sub claim.");
            userId = StableIds.OidcUser(trusted.Issuer, subject);
            tenantId = Claim(token, "tid") is { } tid ? StableIds.ProviderTenant(tid) : StableIds.IssuerTenant(trusted.Issuer);
        }

        var displayName = Claim(token, "name") ?? Claim(token, "preferred_username") ?? Claim(token, "sub") ?? userId;
        // iat is optional in JWTs (RFC 7519 §4.1.6); nbf, then exp, order tokens nearly as well.
        var issuedAt = token.IssuedAt != DateTime.MinValue ? token.IssuedAt : token.ValidFrom != DateTime.MinValue ? token.ValidFrom : token.ValidTo;
        return new Caller(userId, tenantId, displayName, kind, roles, scopes, ApiKeyId: null, Tier: Claim(token, tierClaim),
            IssuedAt: new DateTimeOffset(DateTime.SpecifyKind(issuedAt, DateTimeKind.Utc)));
    }

    /// <summary>Our fixed description (and a reason for the log) of a failure JwtBearer reports.</summary>
    public static (string Reason, string Description) Describe(Exception? exception) => exception switch
    {
        SecurityTokenExpiredException => ("Expired", "The token has expired."),
        SecurityTokenNotYetValidException => ("NotYetValid", "The token is not valid yet."),
        SecurityTokenNoExpirationException => ("NoExpiration", "The token has no expiry."),
        SecurityTokenInvalidLifetimeException => ("InvalidLifetime", "The token's lifetime is invalid."),
        SecurityTokenInvalidAudienceException => ("InvalidAudience", "The token is not meant for this API (audience)."),
        SecurityTokenInvalidIssuerException => ("InvalidIssuer", "The token's issuer is not trusted."),
        SecurityTokenInvalidTypeException => ("InvalidType", "The token type (typ) is not accepted."),
        SecurityTokenInvalidAlgorithmException => ("InvalidAlgorithm", "The token's signing algorithm is not accepted."),
        SecurityTokenSignatureKeyNotFoundException => ("UnknownSigningKey", "The token's signing key is not known."),
        SecurityTokenInvalidSignatureException => ("InvalidSignature", "The token's signature is invalid."),
        SecurityTokenMalformedException => ("Malformed", "The token is not a well-formed JWT."),
        _ => (exception?.GetType().Name ?? "Unknown", "The token is invalid."),
    };

    private static CredentialRejectedException Rejected(string description) => new(AuthenticationOutcome.InvalidToken(description));

    private static string? Claim(JsonWebToken token, string type) =>
        token.TryGetClaim(type, out var claim) && !string.IsNullOrEmpty(claim.Value) ? claim.Value : null;
}
