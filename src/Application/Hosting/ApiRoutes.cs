using Agents.Application.Api;
using Agents.Application.Gateway;
using Agents.Application.Http;
using Agents.Application.Limits;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Agents.Application.Hosting;

/// <summary>
/// The route table of the API. Everything under /api/v1 requires a caller and is rate limited (costly routes are marked
/// with <c>.WithRateLimit(RateLimitPolicy.Costly)</c>); /api/v1/admin also requires the admin role. Health is open.
/// </summary>
public static class ApiRoutes
{
    public const string Prefix = "/api/v1";

    public static IEndpointRouteBuilder MapAgentsApi(this IEndpointRouteBuilder app)
    {
        HealthApi.Map(app);
        var api = app.MapGroup(Prefix).AddEndpointFilter(CallerAuthentication.Filter).AddEndpointFilter(RateLimiting.Filter);
        IdentityApi.Map(api);
        AgentsApi.Map(api);
        ThreadsApi.Map(api);
        RunsApi.Map(api);
        UsageApi.Map(api);
        var admin = api.MapGroup("/admin").AddEndpointFilter(CallerAuthentication.RequireAdmin).WithTags("Admin");
        AdminApi.Map(admin);
        AdminPoliciesApi.Map(admin);
        app.MapGateway();
        return app;
    }

    /// <summary>Error handling and correlation ids first; a ProblemDetails for unmatched routes and methods.</summary>
    public static IApplicationBuilder UseAgentsErrorHandling(this IApplicationBuilder app)
    {
        app.UseMiddleware<ProblemMiddleware>();
        app.UseStatusCodePages(async context =>
        {
            var http = context.HttpContext;
            var problem = http.Response.StatusCode switch
            {
                StatusCodes.Status404NotFound => Problems.RouteNotFound(http.Request.Path.Value ?? ""),
                StatusCodes.Status405MethodNotAllowed => Problems.MethodNotAllowed(http.Request.Method, http.Request.Path.Value ?? ""),
                _ => null,
            };
            if (problem is not null)
            {
                await ProblemWriter.WriteAsync(http, problem).ConfigureAwait(false);
            }
        });
        return app;
    }
}
