using Agents.Domain.Identity;
using Agents.Identity;
using Agents.Identity.ApiKeys;
using Agents.Identity.Authorization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Application.Http;

/// <summary>
/// Authenticates a request once (<see cref="CallerAuthenticator"/>: the ASP.NET Core authentication schemes and
/// policies, which set <c>HttpContext.User</c>), checks an API key's scope for the route (<see cref="KeyScopes"/>),
/// and offers the <see cref="Caller"/> as a typed view of <c>HttpContext.User</c>. HttpPipelineMiddleware
/// (src/Functions) calls <see cref="AuthenticateAsync"/> before every function under <see cref="ApiPaths.Prefix"/>, and
/// <see cref="ForbidUnlessAdminAsync"/> (the <see cref="IdentityPolicies.Admin"/> policy) before those under its /admin; <see cref="Gateway.GatewayRoutes.HandleAsync"/> calls
/// <see cref="AuthenticateAsync"/> for the gateway.
/// </summary>
public static class CallerAuthentication
{
    private const string ItemKey = "agents.caller";

    /// <summary>Null when the request is authenticated; otherwise the 401/403 response to send.</summary>
    public static async Task<IResult?> AuthenticateAsync(HttpContext context)
    {
        var authenticator = context.RequestServices.GetRequiredService<CallerAuthenticator>();
        var outcome = await authenticator.AuthenticateAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        if (outcome.Succeeded
            && outcome.Caller.Kind == CallerKind.ApiKey
            && KeyScopes.For(context.Request) is { } needed
            && !ApiKeyScopes.Grants(outcome.Caller.Scopes, needed))
        {
            outcome = AuthenticationOutcome.InsufficientScope($"This API key lacks the scope '{needed}', which this route needs.", needed);
        }
        if (outcome.Succeeded)
        {
            return null;
        }
        if (outcome.WwwAuthenticate is { } challenge)
        {
            context.Response.Headers.WWWAuthenticate = challenge;
        }
        return ProblemWriter.Result(outcome.Problem!, context);
    }

    /// <summary>
    /// The authenticated caller: <c>HttpContext.User</c> as a <see cref="Domain.Identity.Caller"/> (<see cref="CallerClaims"/>), read once per
    /// request. <see cref="AuthenticateAsync"/> runs before every handler that asks.
    /// </summary>
    public static Caller Caller(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Items[ItemKey] is Caller known)
        {
            return known;
        }

        var caller = CallerClaims.ToCaller(context.User) ?? throw new InvalidOperationException("The endpoint runs without authentication.");
        context.Items[ItemKey] = caller;
        return caller;
    }

    /// <summary>Null when the authenticated caller (after <see cref="AuthenticateAsync"/>) has the admin role; otherwise the 403 to send.</summary>
    public static async ValueTask<IResult?> ForbidUnlessAdminAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var authorization = context.RequestServices.GetRequiredService<IAuthorizationService>();
        return (await authorization.AuthorizeAsync(context.User, IdentityPolicies.Admin).ConfigureAwait(false)).Succeeded
            ? null
            : ProblemWriter.Result(Problems.Forbidden($"This route needs the {Domain.Identity.Caller.AdminRole} role."), context);
    }
}
