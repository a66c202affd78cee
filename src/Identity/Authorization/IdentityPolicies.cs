using Agents.Domain.Identity;

namespace Agents.Identity.Authorization;

/// <summary>
/// The authorization policies the HTTP edges ask <c>IAuthorizationService</c> for. Each provider also has a policy
/// named after its scheme (its required scope or app role), which <see cref="CallerAuthenticator"/> applies.
/// </summary>
public static class IdentityPolicies
{
    /// <summary>The admin routes: the <see cref="Caller.AdminRole"/> role, and for an API key its admin scope too (<see cref="Caller.IsAdmin"/>).</summary>
    public const string Admin = "agents:admin";
}
