using Agents.Application.Gateway;
using Agents.Application.Hosting;
using Agents.Application.Http;
using Agents.Application.Limits;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;

namespace Agents.Functions.Http;

/// <summary>
/// The portable host's HTTP pipeline (<see cref="ApiRoutes"/>, <see cref="GatewayRoutes"/>) for HTTP functions, which run
/// no endpoint filters: <see cref="ProblemMiddleware.HandleAsync"/> (correlation id, body limit, exceptions as problems)
/// around the filters of the function's route group: under <see cref="ApiRoutes.Prefix"/> the caller's authentication,
/// the rate limit and, under /admin, the admin role; under the gateway's prefixes <see cref="GatewayRoutes.HandleAsync"/>
/// (the same steps, errors in the surface's format); health and unmatched routes stay open. The function's
/// <see cref="IResult"/> is executed in here, so that its failures are translated too. Other triggers pass through.
/// </summary>
internal sealed class HttpPipelineMiddleware(RequestLimits limits, ILogger<ProblemMiddleware> logger) : IFunctionsWorkerMiddleware
{
    private const string AdminPrefix = ApiRoutes.Prefix + "/admin";

    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (context.GetHttpContext() is not { } http)
        {
            await next(context);
            return;
        }

        await ProblemMiddleware.HandleAsync(http, limits, logger, async () =>
        {
            var result = await RunAsync(http, context.FunctionDefinition.Name, async () =>
            {
                await next(context);
                return context.GetInvocationResult().Value;
            });
            if (result is IResult response)
            {
                await response.ExecuteAsync(http);
            }
        });

        // The response is written: leave nothing for the ASP.NET Core integration to execute.
        context.GetInvocationResult().Value = Results.Empty;
    }

    /// <summary>The function inside the endpoint filters of its route group, in their order; the result to execute.</summary>
    private static async ValueTask<object?> RunAsync(HttpContext http, string function, Func<ValueTask<object?>> invoke)
    {
        var path = http.Request.Path;
        if (function == RouteNotFoundFunction.Name)
        {
            return await invoke();
        }
        if (path.StartsWithSegments(GatewayRoutes.OpenAiPrefix))
        {
            return await GatewayRoutes.HandleAsync(http, GatewaySurface.OpenAi, RateLimitPolicyOf(function), invoke);
        }
        if (path.StartsWithSegments(GatewayRoutes.AnthropicPrefix))
        {
            return await GatewayRoutes.HandleAsync(http, GatewaySurface.Anthropic, RateLimitPolicyOf(function), invoke);
        }
        if (!path.StartsWithSegments(ApiRoutes.Prefix))
        {
            return await invoke();
        }
        return await CallerAuthentication.AuthenticateAsync(http)
            ?? await RateLimiting.ApplyAsync(http, RateLimitPolicyOf(function))
            ?? (path.StartsWithSegments(AdminPrefix) ? CallerAuthentication.ForbidUnlessAdmin(http) : null)
            ?? await invoke();
    }

    /// <summary>The routes marked with <c>.WithRateLimit(RateLimitPolicy.Costly)</c> in the Api classes and <see cref="GatewayRoutes"/>.</summary>
    private static RateLimitPolicy RateLimitPolicyOf(string function) => function switch
    {
        nameof(RunFunctions.CreateRun)
            or nameof(GatewayFunctions.GatewayOpenAiChatCompletions)
            or nameof(GatewayFunctions.GatewayAnthropicMessages) => RateLimitPolicy.Costly,
        _ => RateLimitPolicy.General,
    };
}
