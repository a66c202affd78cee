using System.Globalization;
using Agents.Application.Http;
using Agents.Domain.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Application.Limits;

/// <summary>
/// The HTTP side of the rate limiter: <see cref="ApplyAsync"/>, which HttpPipelineMiddleware (src/Functions) calls after
/// <see cref="CallerAuthentication.AuthenticateAsync"/> under <see cref="ApiPaths.Prefix"/> (and
/// <see cref="Gateway.GatewayRoutes.HandleAsync"/> for the gateway), the headers every limited response carries, and the
/// 429. <c>X-RateLimit-Reset</c> and <c>Retry-After</c> are delta seconds until the window resets (not an epoch time).
/// </summary>
public static class RateLimiting
{
    public const string LimitHeader = "X-RateLimit-Limit";
    public const string RemainingHeader = "X-RateLimit-Remaining";
    public const string ResetHeader = "X-RateLimit-Reset";

    /// <summary>
    /// Counts the request of the authenticated caller under <paramref name="policy"/> (HttpPipelineMiddleware picks it
    /// per function) and sets the rate limit headers. Null when admitted; otherwise the 429 to send.
    /// </summary>
    public static async Task<IResult?> ApplyAsync(HttpContext http, RateLimitPolicy policy)
    {
        var tiers = http.RequestServices.GetRequiredService<TierResolver>();
        var limiter = http.RequestServices.GetRequiredService<RateLimiter>();
        var clock = http.RequestServices.GetRequiredService<TimeProvider>();
        var caller = http.Caller();
        var tier = await tiers.ResolveAsync(caller, http.RequestAborted).ConfigureAwait(false);
        var limit = policy == RateLimitPolicy.Costly ? tier.Limits.CostlyRequestsPerMinute : tier.Limits.RequestsPerMinute;
        var decision = await limiter.AcquireAsync(caller, policy, limit, http.RequestAborted).ConfigureAwait(false);
        var reset = decision.ResetSeconds(clock.GetUtcNow()).ToString(CultureInfo.InvariantCulture);

        // Set when the response starts, so that an error response (ProblemMiddleware.HandleAsync clears headers) keeps them too.
        http.Response.OnStarting(() =>
        {
            var headers = http.Response.Headers;
            headers[LimitHeader] = decision.Limit.ToString(CultureInfo.InvariantCulture);
            headers[RemainingHeader] = decision.Remaining.ToString(CultureInfo.InvariantCulture);
            headers[ResetHeader] = reset;
            if (!decision.Admitted)
            {
                headers.RetryAfter = reset;
            }
            return Task.CompletedTask;
        });
        if (decision.Admitted)
        {
            return null;
        }
        Telemetry.AgentsTelemetry.RateLimited(policy == RateLimitPolicy.Costly ? "costly" : "general", tier.Name);
        return ProblemWriter.Result(RateLimited(tier, policy, decision, reset), http);
    }

    private static ApiProblem RateLimited(ResolvedTier tier, RateLimitPolicy policy, RateLimitDecision decision, string retryAfter) =>
        new(429, "rate_limited", "Too many requests",
            $"The {tier.Name} tier allows {decision.Limit} {(policy == RateLimitPolicy.Costly ? "costly requests (run creation, gateway calls)" : "requests")} per minute; retry after {retryAfter} s.",
            new Dictionary<string, object?>
            {
                ["tier"] = tier.Name,
                ["policy"] = policy == RateLimitPolicy.Costly ? "costly" : "general",
                ["limit"] = decision.Limit,
                ["retryAfterSeconds"] = int.Parse(retryAfter, CultureInfo.InvariantCulture),
            });
}
