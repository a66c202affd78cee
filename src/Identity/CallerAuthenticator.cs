using Agents.Identity.ApiKeys;
using Agents.Identity.Tokens;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Agents.Identity;

/// <summary>
/// The one place a request's credential is read: <c>Authorization: Bearer &lt;token or API key&gt;</c> or an
/// <c>api-key</c> header. A value starting <c>agk_</c> is an API key, anything else an access token. Returns the
/// outcome only; the HTTP edge (endpoint filter, Functions middleware) writes the 401/403 and its
/// <c>WWW-Authenticate</c> header. A user's accepted token updates their <see cref="OwnerProfile"/>, which their API
/// keys act with.
/// </summary>
public sealed class CallerAuthenticator(AccessTokenValidator tokens, ApiKeyService apiKeys, OwnerProfiles owners)
{
    public const string ApiKeyHeader = "api-key";
    public const string AnthropicApiKeyHeader = "x-api-key";
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
            ? apiKeys.ValidateAsync(credential, cancellationToken)
            : ValidateTokenAsync(credential, cancellationToken);
    }

    private async Task<AuthenticationOutcome> ValidateTokenAsync(string token, CancellationToken cancellationToken)
    {
        var outcome = await tokens.ValidateAsync(token, cancellationToken).ConfigureAwait(false);
        if (outcome.Succeeded)
        {
            await owners.NoteAsync(outcome.Caller, cancellationToken).ConfigureAwait(false);
        }

        return outcome;
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
}
