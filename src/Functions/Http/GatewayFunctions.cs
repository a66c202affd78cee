using Agents.Application.Gateway;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Agents.Functions.Http;

/// <summary>
/// The gateway's OpenAI- and Anthropic-compatible routes (<see cref="GatewayRoutes"/>); <see cref="HttpPipelineMiddleware"/>
/// runs them inside <see cref="GatewayRoutes.HandleAsync"/> (errors in the surface's format, authentication, rate limit).
/// Each surface's catch-all lists no methods (all of them, as <c>Map</c> does) and must be tried after the surface's
/// routes: the Functions host tries routes in the order of the function names (case-insensitive), and
/// <c>…RouteNotSupported</c> sorts after <c>…ChatCompletions</c>, <c>…Messages</c> and <c>…Models</c>.
/// </summary>
public sealed class GatewayFunctions(ChatGateway gateway, GatewayModels models)
{
    [Function(nameof(GatewayOpenAiChatCompletions))]
    public Task<IResult> GatewayOpenAiChatCompletions([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "openai/v1/chat/completions")] HttpRequest req) =>
        OpenAiSurface.ChatCompletions(req.HttpContext, gateway);

    [Function(nameof(GatewayOpenAiModels))]
    public Task<IResult> GatewayOpenAiModels([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openai/v1/models")] HttpRequest req) =>
        OpenAiSurface.Models(req.HttpContext, models);

    [Function(nameof(GatewayOpenAiRouteNotSupported))]
    public IResult GatewayOpenAiRouteNotSupported([HttpTrigger(AuthorizationLevel.Anonymous, Route = "openai/v1/{*rest}")] HttpRequest req) =>
        GatewayRoutes.NotSupported(req.HttpContext);

    [Function(nameof(GatewayAnthropicMessages))]
    public Task<IResult> GatewayAnthropicMessages([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "anthropic/v1/messages")] HttpRequest req) =>
        AnthropicSurface.Messages(req.HttpContext, gateway);

    [Function(nameof(GatewayAnthropicModels))]
    public Task<IResult> GatewayAnthropicModels([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "anthropic/v1/models")] HttpRequest req) =>
        AnthropicSurface.Models(req.HttpContext, models);

    [Function(nameof(GatewayAnthropicRouteNotSupported))]
    public IResult GatewayAnthropicRouteNotSupported([HttpTrigger(AuthorizationLevel.Anonymous, Route = "anthropic/v1/{*rest}")] HttpRequest req) =>
        GatewayRoutes.NotSupported(req.HttpContext);
}
