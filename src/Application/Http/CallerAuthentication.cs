using Agents.Domain.Identity;
using Agents.Identity;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Application.Http;

/// <summary>
/// Authenticates a request once and keeps the <see cref="Caller"/> on the HttpContext. The portable host runs it as an
/// endpoint filter on the API group; the Functions app runs the same method from its worker middleware.
/// </summary>
public static class CallerAuthentication
{
    private const string ItemKey = "agents.caller";

    /// <summary>Null when the request is authenticated; otherwise the 401/403 response to send.</summary>
    public static async Task<IResult?> AuthenticateAsync(HttpContext context)
    {
        var authenticator = context.RequestServices.GetRequiredService<CallerAuthenticator>();
        var outcome = await authenticator.AuthenticateAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        if (outcome.Succeeded)
        {
            context.Items[ItemKey] = outcome.Caller;
            return null;
        }
        if (outcome.WwwAuthenticate is { } challenge)
        {
            context.Response.Headers.WWWAuthenticate = challenge;
        }
        return ProblemWriter.Result(outcome.Problem!, context);
    }

    /// <summary>The authenticated caller (the route group requires one, so it is always there).</summary>
    public static Caller Caller(this HttpContext context) =>
        context.Items[ItemKey] as Caller ?? throw new InvalidOperationException("The endpoint runs without authentication.");

    /// <summary>An endpoint filter: authenticate, or answer 401/403.</summary>
    public static async ValueTask<object?> Filter(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next) =>
        await AuthenticateAsync(invocation.HttpContext).ConfigureAwait(false) ?? await next(invocation).ConfigureAwait(false);

    /// <summary>An endpoint filter for admin routes (after <see cref="Filter"/>): 403 without the admin role.</summary>
    public static async ValueTask<object?> RequireAdmin(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next) =>
        ForbidUnlessAdmin(invocation.HttpContext) ?? await next(invocation).ConfigureAwait(false);

    /// <summary>Null when the authenticated caller has the admin role; otherwise the 403 to send (the Functions app calls it).</summary>
    public static IResult? ForbidUnlessAdmin(HttpContext context) => context.Caller().IsAdmin
        ? null
        : ProblemWriter.Result(Problems.Forbidden($"This route needs the {Domain.Identity.Caller.AdminRole} role."), context);
}
