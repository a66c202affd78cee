using Agents.ModelSimulator.Completions;
using Microsoft.Extensions.Options;

namespace Agents.ModelSimulator.Models;

/// <summary><c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>, under the same prefixes as chat completions.</summary>
internal static class ModelEndpoints
{
    // A fixed timestamp (2026-01-01) so the listing is as deterministic as the answers.
    private const long CreatedAt = 1_767_225_600;

    private static readonly string[] Prefixes = ["/v1", "", "/openai/v1"];

    public static void MapModels(this IEndpointRouteBuilder app)
    {
        var models = app.ServiceProvider.GetRequiredService<IOptions<SimulatorOptions>>();
        foreach (var prefix in Prefixes)
        {
            app.MapGet(prefix + "/models", () => TypedResults.Json(
                new ModelList("list", [.. models.Value.EffectiveModels.Select(ToModel)]),
                SimJsonContext.Default.ModelList));
            app.MapGet(prefix + "/models/{id}", (string id, HttpContext context) =>
                models.Value.EffectiveModels.Contains(id, StringComparer.Ordinal)
                    ? context.Response.WriteAsJsonAsync(ToModel(id), SimJsonContext.Default.ModelInfo)
                    : OpenAiError.WriteAsync(context.Response, StatusCodes.Status404NotFound,
                        $"The model '{id}' does not exist", "invalid_request_error", "model_not_found", "model"));
        }
    }

    private static ModelInfo ToModel(string id) => new(id, "model", CreatedAt, "model-simulator");
}

internal sealed record ModelList(string Object, IReadOnlyList<ModelInfo> Data);

internal sealed record ModelInfo(string Id, string Object, long Created, string OwnedBy);
