using Agents.Identity.ApiKeys;
using Agents.Identity.Authorization;
using Agents.Identity.Tokens;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.Net.Http.Headers;

namespace Agents.Identity;

/// <summary>
/// The one place a request's credential is read: <c>Authorization: Bearer &lt;token or API key&gt;</c> or an
/// <c>api-key</c> header. A value starting <c>agk_</c> goes to the API-key scheme; an access token to the JwtBearer
/// scheme of the provider its unvalidated <c>iss</c> names (an issuer no provider trusts is refused here, without a
/// network call), then through that provider's authorization policy (scope or app role). On success
/// <c>HttpContext.User</c> is the caller's principal (<see cref="CallerClaims"/>). Returns the outcome only; the HTTP
/// edge (Functions middleware, gateway) writes the 401/403 and its <c>WWW-Authenticate</c> header, in its own format
/// (so the schemes' own challenges are not used). A user's accepted token updates their <see cref="OwnerProfile"/>,
/// which their API keys act with.
/// </summary>
public sealed partial class CallerAuthenticator(OwnerProfiles owners, ILogger<CallerAuthenticator> logger)
{
    public const string ApiKeyHeader = "api-key";
    public const string AnthropicApiKeyHeader = "x-api-key";

    /// <summary>Larger tokens are refused before parsing (Entra caps group claims well below this).</summary>
    public const int MaxTokenLength = 32 * 1024;

    private const string BearerScheme = "Bearer";

    public Task<AuthenticationOutcome> AuthenticateAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var authorization = request.Headers[HeaderNames.Authorization];
        var apiKey = Microsoft.Extensions.Primitives.StringValues.Concat(request.Headers[ApiKeyHeader], request.Headers[AnthropicApiKeyHeader]);
        if (authorization.Count > 1 || apiKey.Count > 1)
        {
            return Task.FromResult(AuthenticationOutcome.InvalidRequest("Send exactly one credential."));
        }

        var bearer = BearerValue(authorization.ToString());
        var headerKey = apiKey.ToString().Trim();
        if (bearer is not null && headerKey.Length > 0)
        {
            return Task.FromResult(AuthenticationOutcome.InvalidRequest(
                "Send either an Authorization header or an api-key header, not both."));
        }

        var credential = bearer ?? headerKey;
        if (credential.Length == 0)
        {
            // Nothing sent (or another scheme, such as Basic): a bare challenge, per RFC 6750 §3.1.
            return Task.FromResult(AuthenticationOutcome.Unauthenticated());
        }

        return ApiKeyFormat.HasPrefix(credential)
            ? AuthenticateWithAsync(request.HttpContext, ApiKeyAuthenticationHandler.SchemeName, new PresentedCredential(credential), null)
            : AuthenticateTokenAsync(request.HttpContext, credential, cancellationToken);
    }

    private async Task<AuthenticationOutcome> AuthenticateTokenAsync(HttpContext http, string token, CancellationToken cancellationToken)
    {
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

        var providers = http.RequestServices.GetRequiredService<IdentityProviders>();
        if (providers.Find(unverified.Issuer) is not { } trusted)
        {
            LogUnknownIssuer(unverified.Issuer);
            return AuthenticationOutcome.InvalidToken("The token's issuer is not trusted.");
        }

        var outcome = await AuthenticateWithAsync(http, trusted.Scheme, new PresentedCredential(token, unverified, trusted), trusted.Provider.Name)
            .ConfigureAwait(false);
        if (outcome.Succeeded)
        {
            await owners.NoteAsync(outcome.Caller, cancellationToken).ConfigureAwait(false);
        }

        return outcome;
    }

    /// <summary>Runs <paramref name="scheme"/> on <paramref name="credential"/>, then for a token its <paramref name="provider"/>'s policy (named as the scheme; null for an API key).</summary>
    private async Task<AuthenticationOutcome> AuthenticateWithAsync(HttpContext http, string scheme, PresentedCredential credential, string? provider)
    {
        http.Features.Set(credential);
        var result = await http.AuthenticateAsync(scheme).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            return result.Failure switch
            {
                CredentialRejectedException rejected => rejected.Outcome,
                var failure => RejectFailure(provider ?? scheme, failure),
            };
        }

        if (provider is not null)
        {
            var authorization = http.RequestServices.GetRequiredService<IAuthorizationService>();
            var access = await authorization.AuthorizeAsync(result.Principal, scheme).ConfigureAwait(false);
            if (!access.Succeeded)
            {
                var reason = access.Failure?.FailureReasons.OfType<InsufficientScopeReason>().FirstOrDefault();
                return AuthenticationOutcome.InsufficientScope(reason?.Message ?? "The token does not grant access to this API.", reason?.Scope);
            }
        }

        http.User = result.Principal;
        return CallerClaims.ToCaller(result.Principal) is { } caller
            ? AuthenticationOutcome.Success(caller)
            : Reject(provider ?? scheme, "NoCaller", "The token is invalid.");
    }

    private AuthenticationOutcome RejectFailure(string provider, Exception? failure)
    {
        var (reason, description) = TokenCallers.Describe(failure);
        return Reject(provider, reason, description);
    }

    /// <summary>The credential of a <c>Bearer</c> Authorization value; null for another scheme or none.</summary>
    private static string? BearerValue(string authorization)
    {
        var value = authorization.AsSpan().Trim();
        if (value.Length < BearerScheme.Length
            || !value.StartsWith(BearerScheme, StringComparison.OrdinalIgnoreCase)
            || (value.Length > BearerScheme.Length && value[BearerScheme.Length] != ' '))
        {
            return null;
        }

        return value[BearerScheme.Length..].Trim().ToString();
    }

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
        if (logger.IsEnabled(LogLevel.Information))
        {
            // The issuer is the caller's text: bounded, so a crafted token cannot flood the logs.
            LogUnknownIssuerCore(issuer is null ? "" : issuer.Length <= 200 ? issuer : issuer[..200]);
        }
    }
}
