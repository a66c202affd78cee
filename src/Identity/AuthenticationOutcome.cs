using System.Diagnostics.CodeAnalysis;
using System.Text;
using Agents.Domain.Errors;
using Agents.Domain.Identity;

namespace Agents.Identity;

/// <summary>
/// The result of authenticating a request: the <see cref="Caller"/>, or the <see cref="Problem"/> to answer with and
/// the <c>WWW-Authenticate</c> value (RFC 6750) to send with it. Nothing here writes a response: the HTTP edge does.
/// Descriptions are fixed texts of ours, never echoes of the presented credential.
/// </summary>
public sealed class AuthenticationOutcome
{
    /// <summary>OAuth error code (RFC 6750 §3.1) and ApiProblem code for a credential that is bad.</summary>
    public const string InvalidTokenCode = "invalid_token";

    /// <summary>OAuth error code and ApiProblem code for a good credential that lacks a scope or role.</summary>
    public const string InsufficientScopeCode = "insufficient_scope";

    /// <summary>ApiProblem code for a request that carried no credential.</summary>
    public const string UnauthenticatedCode = "unauthenticated";

    /// <summary>OAuth error code and ApiProblem code for a malformed request (e.g. two credentials).</summary>
    public const string InvalidRequestCode = "invalid_request";

    /// <summary>ApiProblem code when a provider's signing keys cannot be fetched (not the caller's fault).</summary>
    public const string ProviderUnavailableCode = "identity_provider_unavailable";

    private AuthenticationOutcome(Caller? caller, ApiProblem? problem, string? wwwAuthenticate)
    {
        Caller = caller;
        Problem = problem;
        WwwAuthenticate = wwwAuthenticate;
    }

    public Caller? Caller { get; }

    public ApiProblem? Problem { get; }

    /// <summary>The <c>WWW-Authenticate</c> header value for a 400/401/403; null on success and on 503.</summary>
    public string? WwwAuthenticate { get; }

    [MemberNotNullWhen(true, nameof(Caller))]
    [MemberNotNullWhen(false, nameof(Problem))]
    public bool Succeeded => Caller is not null;

    /// <summary>200 on success, otherwise the problem's status (400, 401, 403 or 503).</summary>
    public int StatusCode => Problem?.Status ?? 200;

    public static AuthenticationOutcome Success(Caller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return new(caller, null, null);
    }

    /// <summary>No credential was sent: a bare <c>Bearer</c> challenge, no error attribute (RFC 6750 §3.1).</summary>
    public static AuthenticationOutcome Unauthenticated() => new(
        null,
        new ApiProblem(401, UnauthenticatedCode, "Authentication required",
            "Send an access token (Authorization: Bearer) or an API key (api-key header)."),
        "Bearer");

    public static AuthenticationOutcome InvalidToken(string description) => new(
        null,
        new ApiProblem(401, InvalidTokenCode, "Invalid credentials", description),
        Challenge(InvalidTokenCode, description));

    /// <param name="description">What is missing.</param>
    /// <param name="scope">The scope (or app role) that would grant access; null when none would.</param>
    public static AuthenticationOutcome InsufficientScope(string description, string? scope) => new(
        null,
        new ApiProblem(403, InsufficientScopeCode, "Insufficient scope", description,
            scope is null ? null : new Dictionary<string, object?> { ["scope"] = scope }),
        Challenge(InsufficientScopeCode, description, scope));

    public static AuthenticationOutcome InvalidRequest(string description) => new(
        null,
        new ApiProblem(400, InvalidRequestCode, "Invalid authentication request", description),
        Challenge(InvalidRequestCode, description));

    public static AuthenticationOutcome ProviderUnavailable(string description) => new(
        null,
        new ApiProblem(503, ProviderUnavailableCode, "Identity provider unavailable", description),
        null);

    private static string Challenge(string error, string description, string? scope = null)
    {
        var value = new StringBuilder("Bearer error=\"").Append(error)
            .Append("\", error_description=\"").Append(QuotedText(description)).Append('"');
        if (scope is not null)
        {
            value.Append(", scope=\"").Append(QuotedText(scope)).Append('"');
        }

        return value.ToString();
    }

    // RFC 6750 allows %x20-21 / %x23-5B / %x5D-7E inside these quoted values: drop '"', '\' and anything non-ASCII.
    private static string QuotedText(string text) =>
        string.Concat(text.Where(c => c is >= ' ' and <= '~' and not '"' and not '\\'));
}
