using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agents.Identity.ApiKeys;

/// <summary>
/// Our API keys (<c>agk_…</c>) as an authentication scheme: <see cref="ApiKeyService.ValidateAsync"/> on the key
/// <see cref="CallerAuthenticator"/> read, the owner as the principal (<see cref="CallerClaims"/>), or a failure
/// carrying the 401 to answer with.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggers,
    UrlEncoder encoder,
    ApiKeyService apiKeys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggers, encoder)
{
    public const string SchemeName = "apikey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Context.Features.Get<PresentedCredential>() is not { Token: null } presented)
        {
            return AuthenticateResult.NoResult();
        }

        var outcome = await apiKeys.ValidateAsync(presented.Value, Context.RequestAborted).ConfigureAwait(false);
        return outcome.Succeeded
            ? AuthenticateResult.Success(new AuthenticationTicket(CallerClaims.ToPrincipal(outcome.Caller, Scheme.Name), Scheme.Name))
            : AuthenticateResult.Fail(new CredentialRejectedException(outcome));
    }
}
