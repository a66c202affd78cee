using Agents.Application.Gateway;
using Agents.Application.Http;
using Agents.Application.Limits;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;

namespace Agents.Functions.Http;

/// <summary>
/// The HTTP pipeline of every HTTP function: <see cref="ProblemMiddleware.HandleAsync"/> (correlation id, body limit,
/// exceptions as problems) around the steps the function's path needs: under <see cref="ApiPaths.Prefix"/> a declared
/// body length over the limit refused, the caller's
/// authentication (with an API key's scope, <see cref="KeyScopes"/>), the rate limit and, under its /admin, the admin role; under the gateway's prefixes
/// <see cref="GatewayRoutes.HandleAsync"/> (the same steps, errors in the surface's format); health, the OpenAPI document and its page, and unmatched routes
/// stay open. The function's <see cref="IResult"/> is executed in here, so that its failures are translated too. Other
/// triggers pass through.
/// </summary>
internal sealed class HttpPipelineMiddleware(RequestLimits limits, ILoggerFactory loggers) : IFunctionsWorkerMiddleware
{
    private const string AdminPrefix = ApiPaths.Prefix + "/admin";

    // Failures are logged under the category Agents.Application.Http.ProblemMiddleware (a static class, so not ILogger<T>).
    private readonly ILogger logger = loggers.CreateLogger(typeof(ProblemMiddleware));

    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (context.GetHttpContext() is not { } http)
        {
            await next(context);
            return;
        }

        await ProblemMiddleware.HandleAsync(http, limits, logger, async () =>
        {
            var result = await RunAsync(http, limits, context.FunctionDefinition.Name, async () =>
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

    /// <summary>The function inside the steps its path needs, in their order; the result to execute.</summary>
    private static async ValueTask<object?> RunAsync(HttpContext http, RequestLimits limits, string function, Func<ValueTask<object?>> invoke)
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
        if (!path.StartsWithSegments(ApiPaths.Prefix))
        {
            return await invoke();
        }
        return await ProblemMiddleware.RefuseOversizeBodyAsync(http, limits)
            ?? await CallerAuthentication.AuthenticateAsync(http)
            ?? await RateLimiting.ApplyAsync(http, RateLimitPolicyOf(function))
            ?? (path.StartsWithSegments(AdminPrefix) ? await CallerAuthentication.ForbidUnlessAdminAsync(http) : null)
            ?? await invoke();
    }

    /// <summary>The costly functions (run creation, gateway chat calls), which count under <see cref="RateLimitPolicy.Costly"/>; all others under <see cref="RateLimitPolicy.General"/>.</summary>
    private static RateLimitPolicy RateLimitPolicyOf(string function) => function switch
    {
        nameof(RunFunctions.CreateRun)
            or nameof(GatewayFunctions.GatewayOpenAiChatCompletions)
            or nameof(GatewayFunctions.GatewayAnthropicMessages) => RateLimitPolicy.Costly,
        _ => RateLimitPolicy.General,
    };
}
