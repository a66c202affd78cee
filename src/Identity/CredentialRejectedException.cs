namespace Agents.Identity;

/// <summary>
/// How our refusals travel through the authentication stack: an <c>AuthenticateResult.Fail</c> carrying the
/// <see cref="AuthenticationOutcome"/> to answer with (our claim checks, API keys), which
/// <see cref="CallerAuthenticator"/> unwraps. Never shown to callers: they see the outcome's problem.
/// </summary>
public sealed class CredentialRejectedException : Exception
{
    public CredentialRejectedException()
        : this(AuthenticationOutcome.InvalidToken("The credential is invalid."))
    {
    }

    public CredentialRejectedException(string message)
        : this(AuthenticationOutcome.InvalidToken(message))
    {
    }

    public CredentialRejectedException(string message, Exception innerException)
        : base(message, innerException) => Outcome = AuthenticationOutcome.InvalidToken(message);

    public CredentialRejectedException(AuthenticationOutcome outcome)
        : base(outcome?.Problem?.Detail)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        Outcome = outcome;
    }

    public AuthenticationOutcome Outcome { get; }
}
