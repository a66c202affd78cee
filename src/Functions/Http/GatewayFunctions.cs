using Agents.Application.Gateway;
using Agents.Functions.OpenApi;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;

namespace Agents.Functions.Http;

/// <summary>
/// The gateway's OpenAI- and Anthropic-compatible routes (<see cref="GatewayRoutes"/>); <see cref="HttpPipelineMiddleware"/>
/// runs them inside <see cref="GatewayRoutes.HandleAsync"/> (errors in the surface's format, authentication, rate limit).
/// Each surface's catch-all lists no methods (all of them, as <c>Map</c> does) and must be tried after the surface's
/// routes: the Functions host tries routes in the order of the function names (case-insensitive), and
/// <c>…RouteNotSupported</c> sorts after <c>…ChatCompletions</c>, <c>…Messages</c> and <c>…Models</c>.
/// </summary>
[Tags("gateway")]
public sealed class GatewayFunctions(ChatGateway gateway, GatewayModels models)
{
    [Function(nameof(GatewayOpenAiChatCompletions))]
    [EndpointSummary("OpenAI Chat Completions, streamed or not, through the policy chain")]
    [RequestBody(NamedSchemas.OpenAiChatCompletionRequest)]
    [Response(200, NamedSchemas.OpenAiChatCompletion, "The completion (stream: false)")]
    [Response(200, NamedSchemas.OpenAiChatCompletionStream, "chat.completion.chunk events, then [DONE] (stream: true)", "text/event-stream")]
    public Task<IResult> GatewayOpenAiChatCompletions([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "openai/v1/chat/completions")] HttpRequest req) =>
        OpenAiSurface.ChatCompletions(req.HttpContext, gateway);

    [Function(nameof(GatewayOpenAiModels))]
    [EndpointSummary("The models the gateway serves, as OpenAI lists them")]
    [Response(200, NamedSchemas.OpenAiModelList, "The models")]
    public Task<IResult> GatewayOpenAiModels([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openai/v1/models")] HttpRequest req) =>
        OpenAiSurface.Models(req.HttpContext, models);

    [Function(nameof(GatewayOpenAiRouteNotSupported))]
    [ExcludeFromDescription]
    public IResult GatewayOpenAiRouteNotSupported([HttpTrigger(AuthorizationLevel.Anonymous, Route = "openai/v1/{*rest}")] HttpRequest req) =>
        GatewayRoutes.NotSupported(req.HttpContext);

    [Function(nameof(GatewayAnthropicMessages))]
    [EndpointSummary("Anthropic Messages, streamed or not, through the policy chain")]
    [RequestBody(NamedSchemas.AnthropicMessageRequest)]
    [Response(200, NamedSchemas.AnthropicMessage, "The message (stream: false)")]
    [Response(200, NamedSchemas.AnthropicMessageStream, "Anthropic's stream events (stream: true)", "text/event-stream")]
    public Task<IResult> GatewayAnthropicMessages([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "anthropic/v1/messages")] HttpRequest req) =>
        AnthropicSurface.Messages(req.HttpContext, gateway);

    [Function(nameof(GatewayAnthropicModels))]
    [EndpointSummary("The models the gateway serves, as Anthropic lists them")]
    [Response(200, NamedSchemas.AnthropicModelList, "The models")]
    public Task<IResult> GatewayAnthropicModels([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "anthropic/v1/models")] HttpRequest req) =>
        AnthropicSurface.Models(req.HttpContext, models);

    [Function(nameof(GatewayAnthropicRouteNotSupported))]
    [ExcludeFromDescription]
    public IResult GatewayAnthropicRouteNotSupported([HttpTrigger(AuthorizationLevel.Anonymous, Route = "anthropic/v1/{*rest}")] HttpRequest req) =>
        GatewayRoutes.NotSupported(req.HttpContext);
}
