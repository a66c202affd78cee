using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Identity.Web;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Agents.Identity.Tokens;

/// <summary>
/// One JwtBearer scheme per configured provider: Microsoft.Identity.Web's <c>AddMicrosoftIdentityWebApi</c> for Entra
/// ID (authority, v2.0 endpoint, Entra's signing-key issuer check), plain <c>AddJwtBearer</c> for any other OIDC
/// provider, both with the same strict parameters: RS256 only, the exact issuers, the provider's audiences, <c>exp</c>
/// required, our clock skew, <c>typ</c> <c>at+jwt</c> or <c>JWT</c>, the token's own <c>kid</c> only.
/// </summary>
internal static partial class ProviderSchemes
{
    private static readonly string[] AcceptedTypes = ["at+jwt", "application/at+jwt", "JWT"];
    private static readonly string[] AcceptedAlgorithms = [SecurityAlgorithms.RsaSha256];

    public static string NameOf(IdentityProviderOptions provider) => "provider:" + provider.Name;

    public static void Add(AuthenticationBuilder authentication, IdentityProviderOptions provider, IdentityOptions settings)
    {
        var scheme = NameOf(provider);
        void Configure(JwtBearerOptions options) => ConfigureBearer(options, provider, settings);
        if (provider.Kind == IdentityProviderKind.Entra)
        {
            authentication.AddMicrosoftIdentityWebApi(Configure, identity =>
            {
                identity.Instance = provider.EntraInstance;
                identity.TenantId = provider.IsMultiTenant ? "organizations" : provider.TenantId;
                identity.ClientId = provider.Audiences.FirstOrDefault(a => Guid.TryParse(a, out _)) ?? provider.Audiences.FirstOrDefault();
                // Scopes and app roles are our authorization policy's (ProviderAccess): without this the library fails a
                // token with neither scp nor roles as invalid (401), where the policy answers 403 insufficient_scope.
                identity.AllowWebApiToBeAuthorizedByACL = true;
            }, scheme);
        }
        else
        {
            authentication.AddJwtBearer(scheme, Configure);
        }

        // The keys come from our source (see SigningKeySource for why), which JwtBearer then never replaces.
        authentication.Services.AddOptions<JwtBearerOptions>(scheme)
            .Configure<IdentityProviders>((options, providers) => options.ConfigurationManager = providers.KeysOf(scheme));
    }

    private static void ConfigureBearer(JwtBearerOptions options, IdentityProviderOptions provider, IdentityOptions settings)
    {
        options.RequireHttpsMetadata = provider.RequireHttpsMetadata;
        options.MapInboundClaims = false;
        // An unknown kid is refreshed for before validation (OnMessageReceived), so the token in hand can pass.
        options.RefreshOnIssuerKeyNotFound = false;
        options.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuers = [.. provider.TrustedIssuers()],
            // Set so that Microsoft.Identity.Web does not install its Entra issuer validator (which accepts any tenant
            // of the cloud and may fetch instance metadata): ours is an allowlist of exact issuers, one per allowed tenant.
            IssuerValidator = ExactIssuer,
            ValidAudiences = [.. provider.Audiences],
            ValidAlgorithms = AcceptedAlgorithms,
            ValidTypes = AcceptedTypes,
            ClockSkew = TimeSpan.FromSeconds(settings.ClockSkewSeconds),
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            // A token must name its key: no trial verification against every key (cheaper under garbage traffic).
            TryAllIssuerSigningKeys = false,
        };
        options.Events = new JwtBearerEvents
        {
            OnMessageReceived = MessageReceivedAsync,
            OnTokenValidated = TokenValidated,
            OnAuthenticationFailed = AuthenticationFailed,
        };
    }

    private static string ExactIssuer(string issuer, SecurityToken token, TokenValidationParameters parameters) =>
        parameters.ValidIssuers.Contains(issuer, StringComparer.Ordinal)
            ? issuer
            : throw new SecurityTokenInvalidIssuerException("The token's issuer is not trusted.") { InvalidIssuer = issuer };

    /// <summary>The token <see cref="CallerAuthenticator"/> read, and fresh keys first when its kid is unknown.</summary>
    private static async Task MessageReceivedAsync(MessageReceivedContext context)
    {
        if (context.HttpContext.Features.Get<PresentedCredential>() is not { Token: { } token, Issuer: { } issuer } presented)
        {
            context.NoResult();
            return;
        }

        context.Token = presented.Value;
        await issuer.Keys.EnsureKeyAsync(token.Kid, context.HttpContext.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The principal becomes our caller's (<see cref="CallerClaims"/>); a token without usable ids is refused.</summary>
    private static Task TokenValidated(TokenValidatedContext context)
    {
        if (context.Result is not null
            || context.HttpContext.Features.Get<PresentedCredential>()?.Issuer is not { } issuer
            || context.SecurityToken is not JsonWebToken token)
        {
            return Task.CompletedTask;
        }

        try
        {
            var providers = context.HttpContext.RequestServices.GetRequiredService<IdentityProviders>();
            context.Principal = CallerClaims.ToPrincipal(TokenCallers.Read(issuer, token, providers.TierClaim), context.Scheme.Name);
        }
        catch (CredentialRejectedException e)
        {
            context.Fail(e);
        }

        return Task.CompletedTask;
    }

    /// <summary>Keys that cannot be fetched are not the caller's fault: 503, not 401.</summary>
    private static Task AuthenticationFailed(AuthenticationFailedContext context)
    {
        if (context.Exception is SecurityTokenException or CredentialRejectedException or OperationCanceledException)
        {
            return Task.CompletedTask;
        }

        var issuer = context.HttpContext.Features.Get<PresentedCredential>()?.Issuer;
        LogKeysUnavailable(context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ProviderSchemes)),
            context.Exception, issuer?.Provider.Name ?? context.Scheme.Name, issuer?.Keys.MetadataAddress ?? "");
        context.Fail(new CredentialRejectedException(
            AuthenticationOutcome.ProviderUnavailable("The identity provider's signing keys are unavailable; retry later.")));
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Signing keys of provider {Provider} unavailable from {MetadataAddress}")]
    private static partial void LogKeysUnavailable(ILogger logger, Exception exception, string provider, string metadataAddress);
}
