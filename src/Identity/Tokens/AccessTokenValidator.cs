using System.Collections.Frozen;
using Agents.Domain.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Agents.Identity.Tokens;

/// <summary>
/// Validates OAuth 2.0 access tokens (JWT, RS256) from the configured providers and maps them to a
/// <see cref="Caller"/>. Thread-safe; register as a singleton (it owns the signing-key caches).
/// </summary>
/// <remarks>
/// The provider is chosen by the token's <c>iss</c>, read before any validation: an issuer no provider trusts is
/// rejected without a network call, so unauthenticated traffic cannot make us fetch metadata from anywhere.
/// Then: RS256 only (so <c>alg: none</c> and HS256 signed with the public key fail), the exact issuer, one of the
/// provider's audiences, <c>exp</c> required, lifetime checked with the configured clock skew, <c>typ</c>
/// <c>at+jwt</c> or <c>JWT</c>. A signature whose <c>kid</c> is unknown triggers one key refresh (rate-limited by
/// <see cref="SigningKeySource"/>) and one retry.
/// </remarks>
public sealed partial class AccessTokenValidator
{
    /// <summary>Larger tokens are refused before parsing (Entra caps group claims well below this).</summary>
    public const int MaxTokenLength = 32 * 1024;

    private static readonly string[] AcceptedTypes = ["at+jwt", "application/at+jwt", "JWT"];
    private static readonly string[] AcceptedAlgorithms = [SecurityAlgorithms.RsaSha256];

    private readonly JsonWebTokenHandler _handler = new() { MaximumTokenSizeInBytes = MaxTokenLength };
    private readonly FrozenDictionary<string, TrustedIssuer> _issuers;
    private readonly TimeSpan _clockSkew;
    private readonly string _tierClaim;
    private readonly ILogger<AccessTokenValidator> _logger;

    public AccessTokenValidator(
        IOptions<IdentityOptions> options,
        IHttpClientFactory httpClients,
        TimeProvider time,
        ILogger<AccessTokenValidator> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        _clockSkew = TimeSpan.FromSeconds(settings.ClockSkewSeconds);
        _tierClaim = settings.TierClaim;
        _logger = logger;

        var refreshInterval = TimeSpan.FromSeconds(settings.KeyRefreshMinIntervalSeconds);
        var issuers = new Dictionary<string, TrustedIssuer>(StringComparer.Ordinal);
        foreach (var provider in settings.Providers)
        {
            var keys = new SigningKeySource(
                provider.ResolvedMetadataAddress,
                new MetadataDocumentRetriever(httpClients, provider.RequireHttpsMetadata),
                refreshInterval,
                time);
            foreach (var issuer in provider.TrustedIssuers())
            {
                var tenant = provider.Kind == IdentityProviderKind.Entra
                    ? Guid.Parse(issuer.AsSpan(provider.EntraInstance.Length, 36))
                    : (Guid?)null;
                issuers.Add(issuer, new TrustedIssuer(issuer, provider, keys, tenant));
            }
        }

        _issuers = issuers.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>
    /// Validates <paramref name="token"/> (the bearer value, without "Bearer "). Fails with 401 <c>invalid_token</c>,
    /// 403 <c>insufficient_scope</c> for a valid token lacking the provider's scope or app role, or 503 when the
    /// provider's keys cannot be fetched.
    /// </summary>
    public async Task<AuthenticationOutcome> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (token.Length > MaxTokenLength)
        {
            return Reject("unknown", "TokenTooLarge", "The token is too large.");
        }

        JsonWebToken unverified;
        try
        {
            unverified = new JsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return Reject("unknown", "Malformed", "The token is not a well-formed JWT.");
        }

        if (unverified.IsEncrypted)
        {
            return Reject("unknown", "Encrypted", "Encrypted tokens are not accepted.");
        }

        if (!_issuers.TryGetValue(unverified.Issuer ?? "", out var trusted))
        {
            LogUnknownIssuer(unverified.Issuer);
            return AuthenticationOutcome.InvalidToken("The token's issuer is not trusted.");
        }

        var provider = trusted.Provider;
        OpenIdConnectConfiguration configuration;
        try
        {
            configuration = await trusted.Keys.GetAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex)
        {
            LogKeysUnavailable(ex, provider.Name, trusted.Keys.MetadataAddress);
            return AuthenticationOutcome.ProviderUnavailable("The identity provider's signing keys are unavailable; retry later.");
        }

        var result = await _handler.ValidateTokenAsync(unverified, Parameters(trusted, configuration)).ConfigureAwait(false);
        if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            var refreshed = await trusted.Keys.RefreshAsync(configuration, cancellationToken).ConfigureAwait(false);
            if (refreshed is not null && !ReferenceEquals(refreshed, configuration))
            {
                LogKeysRefreshed(provider.Name);
                result = await _handler.ValidateTokenAsync(token, Parameters(trusted, refreshed)).ConfigureAwait(false);
            }
        }

        if (!result.IsValid)
        {
            var (reason, description) = Describe(result.Exception);
            return Reject(provider.Name, reason, description);
        }

        return Authorize(trusted, (JsonWebToken)result.SecurityToken);
    }

    private TokenValidationParameters Parameters(TrustedIssuer trusted, OpenIdConnectConfiguration configuration) => new()
    {
        ValidIssuer = trusted.Issuer,
        ValidAudiences = trusted.Provider.Audiences,
        IssuerSigningKeys = configuration.SigningKeys,
        ValidAlgorithms = AcceptedAlgorithms,
        ValidTypes = AcceptedTypes,
        ClockSkew = _clockSkew,
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        ValidateIssuer = true,
        ValidateAudience = true,
        ValidateLifetime = true,
        // A token must name its key: no trial verification against every key (cheaper under garbage traffic).
        TryAllIssuerSigningKeys = false,
    };

    private AuthenticationOutcome Authorize(TrustedIssuer trusted, JsonWebToken token)
    {
        var provider = trusted.Provider;
        var scopeClaim = Claim(token, "scp") ?? Claim(token, "scope");
        var scopes = (scopeClaim ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var roles = token.Claims.Where(c => c.Type == "roles").Select(c => c.Value).Distinct(StringComparer.Ordinal).ToArray();
        var kind = scopeClaim is null ? CallerKind.Application : CallerKind.User;

        string userId, tenantId;
        if (trusted.EntraTenant is { } tenant)
        {
            if (!Guid.TryParse(Claim(token, "tid"), out var tid) || tid != tenant)
            {
                return Reject(provider.Name, "TenantMismatch", "The token's tenant does not match its issuer.");
            }

            if (!Guid.TryParse(Claim(token, "oid"), out var oid))
            {
                return Reject(provider.Name, "NoObjectId", "The token has no valid oid claim.");
            }

            userId = StableIds.EntraUser(tid, oid);
            tenantId = tid.ToString("D");
        }
        else
        {
            var subject = Claim(token, "sub");
            if (string.IsNullOrEmpty(subject))
            {
                return Reject(provider.Name, "NoSubject", "The token has no sub claim.");
            }

            userId = StableIds.OidcUser(trusted.Issuer, subject);
            tenantId = Claim(token, "tid") is { } tid ? StableIds.ProviderTenant(tid) : StableIds.IssuerTenant(trusted.Issuer);
        }

        if (kind == CallerKind.User && provider.RequiredScope is { } scope && !scopes.Contains(scope, StringComparer.Ordinal))
        {
            LogInsufficient(provider.Name, userId, "MissingScope");
            return AuthenticationOutcome.InsufficientScope($"The token lacks the scope '{scope}'.", scope);
        }

        if (kind == CallerKind.Application)
        {
            if (provider.RequiredAppRole is not { } role)
            {
                LogInsufficient(provider.Name, userId, "AppOnlyNotAccepted");
                return AuthenticationOutcome.InsufficientScope("App-only tokens are not accepted from this provider.", provider.RequiredScope);
            }

            if (!roles.Contains(role, StringComparer.Ordinal))
            {
                LogInsufficient(provider.Name, userId, "MissingAppRole");
                return AuthenticationOutcome.InsufficientScope($"The token lacks the app role '{role}'.", role);
            }
        }

        var displayName = Claim(token, "name") ?? Claim(token, "preferred_username") ?? Claim(token, "sub") ?? userId;
        // iat is optional in JWTs (RFC 7519 §4.1.6); nbf, then exp, order tokens nearly as well.
        var issuedAt = token.IssuedAt != DateTime.MinValue ? token.IssuedAt : token.ValidFrom != DateTime.MinValue ? token.ValidFrom : token.ValidTo;
        return AuthenticationOutcome.Success(new Caller(
            userId, tenantId, displayName, kind, roles, scopes, ApiKeyId: null, Tier: Claim(token, _tierClaim),
            IssuedAt: new DateTimeOffset(DateTime.SpecifyKind(issuedAt, DateTimeKind.Utc))));
    }

    private static string? Claim(JsonWebToken token, string type) =>
        token.TryGetClaim(type, out var claim) && !string.IsNullOrEmpty(claim.Value) ? claim.Value : null;

    private static (string Reason, string Description) Describe(Exception? exception) => exception switch
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
        _ => (exception?.GetType().Name ?? "Unknown", "The token is invalid."),
    };

    private AuthenticationOutcome Reject(string provider, string reason, string description)
    {
        LogRejected(provider, reason);
        return AuthenticationOutcome.InvalidToken(description);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Access token rejected by provider {Provider}: {Reason}")]
    private partial void LogRejected(string provider, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Access token from untrusted issuer {Issuer} rejected")]
    private partial void LogUnknownIssuerCore(string issuer);

    private void LogUnknownIssuer(string? issuer)
    {
        if (_logger.IsEnabled(LogLevel.Information))
        {
            // The issuer is the caller's text: bounded, so a crafted token cannot flood the logs.
            LogUnknownIssuerCore(issuer is null ? "" : issuer.Length <= 200 ? issuer : issuer[..200]);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Access token of {UserId} from provider {Provider} refused: {Reason}")]
    private partial void LogInsufficient(string provider, string userId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Signing keys of provider {Provider} refreshed for an unknown key id")]
    private partial void LogKeysRefreshed(string provider);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Signing keys of provider {Provider} unavailable from {MetadataAddress}")]
    private partial void LogKeysUnavailable(Exception exception, string provider, string metadataAddress);

    /// <summary>An exact issuer, the provider that trusts it, and for Entra the tenant it names.</summary>
    private sealed record TrustedIssuer(string Issuer, IdentityProviderOptions Provider, SigningKeySource Keys, Guid? EntraTenant);
}
