using Agents.Application.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;

namespace Agents.Functions.Http;

/// <summary>
/// Any other path under /api, with any method: the API's <c>route_not_found</c> problem (<see cref="Problems.RouteNotFound"/>)
/// instead of the Functions host's empty 404. It runs without authentication (HttpPipelineMiddleware skips the API's
/// steps for it). The host tries routes in the order of the function names (case-insensitive), so this catch-all is
/// named to sort after every other HTTP function.
/// </summary>
public static class RouteNotFoundFunction
{
    public const string Name = "ZRouteNotFound";

    [Function(Name)]
    [ExcludeFromDescription]
    public static IResult RouteNotFound([HttpTrigger(AuthorizationLevel.Anonymous, Route = "{*path}")] HttpRequest req) =>
        ProblemWriter.Result(Problems.RouteNotFound(req.Path.Value ?? ""), req.HttpContext);
}
