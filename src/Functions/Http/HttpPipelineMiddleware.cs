using Agents.Application.Hosting;
using Agents.Application.Http;
using Agents.Application.Limits;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;

namespace Agents.Functions.Http;

/// <summary>
/// The portable host's HTTP pipeline (<see cref="ApiRoutes"/>) for HTTP functions, which run no endpoint filters:
/// <see cref="ProblemMiddleware.HandleAsync"/> (correlation id, body limit, exceptions as problems) around, for
/// everything under <see cref="ApiRoutes.Prefix"/>, the caller's authentication, the rate limit and, under /admin,
/// the admin role; health stays open. The function's <see cref="IResult"/> is executed in here, so that its failures
/// are translated too. Other triggers pass through.
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
            var result = await AdmitAsync(http, context.FunctionDefinition.Name);
            if (result is null)
            {
                await next(context);
                result = context.GetInvocationResult().Value as IResult;
            }
            if (result is not null)
            {
                await result.ExecuteAsync(http);
            }
        });

        // The response is written: leave nothing for the ASP.NET Core integration to execute.
        context.GetInvocationResult().Value = Results.Empty;
    }

    /// <summary>The endpoint filters of the API group, in their order; null when the request may go on.</summary>
    private static async Task<IResult?> AdmitAsync(HttpContext http, string function)
    {
        if (!http.Request.Path.StartsWithSegments(ApiRoutes.Prefix))
        {
            return null;
        }
        return await CallerAuthentication.AuthenticateAsync(http)
            ?? await RateLimiting.ApplyAsync(http, RateLimitPolicyOf(function))
            ?? (http.Request.Path.StartsWithSegments(AdminPrefix) ? CallerAuthentication.ForbidUnlessAdmin(http) : null);
    }

    /// <summary>The routes the Api classes mark with <c>.WithRateLimit(RateLimitPolicy.Costly)</c>.</summary>
    private static RateLimitPolicy RateLimitPolicyOf(string function) => function switch
    {
        nameof(RunFunctions.CreateRun) => RateLimitPolicy.Costly,
        _ => RateLimitPolicy.General,
    };
}
