namespace Agents.ModelSimulator.Completions;

internal static class ChatCompletionEndpoints
{
    // OpenAI's path, the same without /v1 (clients configured with a bare base URL), the Azure OpenAI v1 path,
    // and the classic Azure deployment path (the deployment name stands in for a missing "model").
    private static readonly string[] Routes =
    [
        "/v1/chat/completions",
        "/chat/completions",
        "/openai/v1/chat/completions",
        "/openai/deployments/{deployment}/chat/completions",
    ];

    public static void MapChatCompletions(this IEndpointRouteBuilder app)
    {
        var handler = app.ServiceProvider.GetRequiredService<ChatCompletionHandler>();
        foreach (var route in Routes)
        {
            // A plain RequestDelegate: no parameter binding work per request.
            app.MapPost(route, handler.HandleAsync);
        }
    }
}
