using Agents.Application.Http;
using Agents.Application.Limits;
using Agents.Domain.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Application.Gateway;

/// <summary>
/// The gateway's prefixes, <c>/api/openai/v1</c> and <c>/api/anthropic/v1</c>, and what their functions (GatewayFunctions
/// in src/Functions) run behind: <see cref="HandleAsync"/>, errors in the surface's format around authentication (Bearer
/// token or API key, including Anthropic's <c>x-api-key</c>) and the rate limiter; <see cref="NotSupported"/> for the
/// providers' other routes.
/// </summary>
public static class GatewayRoutes
{
    public const string OpenAiPrefix = "/api/openai/v1";
    public const string AnthropicPrefix = "/api/anthropic/v1";

    /// <summary>Other routes of the providers' APIs (embeddings, responses, ...): a 404 in the surface's format that says so.</summary>
    public static IResult NotSupported(HttpContext http) => throw new ApiProblemException(new ApiProblem(404, "route_not_supported",
        "The gateway does not offer this route", $"'{http.Request.Method} {http.Request.Path}' is not supported; the gateway offers chat completions (OpenAI), messages (Anthropic) and models."));

    /// <summary>
    /// What every gateway request goes through, outermost first: errors in the surface's format (so what the inner
    /// steps answer is converted too), a declared body length over the limit refused, authentication, the rate limiter under <paramref name="policy"/> (chat calls
    /// count as costly; their 429 comes out in the surface's format too), then <paramref name="endpoint"/>.
    /// HttpPipelineMiddleware (src/Functions) runs it around every function under the gateway's prefixes. Token
    /// budgets are reserved by <see cref="ChatGateway"/>.
    /// </summary>
    public static ValueTask<object?> HandleAsync(HttpContext http, GatewaySurface surface, RateLimitPolicy policy, Func<ValueTask<object?>> endpoint) =>
        GatewayErrors.HandleAsync(http, surface, async () =>
            await ProblemMiddleware.RefuseOversizeBodyAsync(http, http.RequestServices.GetRequiredService<RequestLimits>()).ConfigureAwait(false)
            ?? await CallerAuthentication.AuthenticateAsync(http).ConfigureAwait(false)
            ?? await RateLimiting.ApplyAsync(http, policy).ConfigureAwait(false)
            ?? await endpoint().ConfigureAwait(false));
}
