using System.Text.Json;
using System.Text.Json.Nodes;
using Agents.Application.Http;
using Agents.Domain.Errors;

namespace Agents.Application.Gateway;

/// <summary>
/// Upstream failures as our problems. A 400 or 404 keeps its status and the upstream message (it is about the
/// client's request); 429 keeps its status and Retry-After; anything else is a 502/503 of ours.
/// </summary>
public static class UpstreamErrors
{
    public static ApiProblem FromStatus(int status, string body, TimeSpan? retryAfter = null)
    {
        var message = Message(body);
        var extensions = new Dictionary<string, object?>();
        if (retryAfter is { } after)
        {
            extensions[Problems.RetryAfterMember] = (int)Math.Ceiling(after.TotalSeconds);
        }
        if (Param(body) is { } param)
        {
            extensions["param"] = param;
        }
        return status switch
        {
            400 or 422 => new ApiProblem(400, "model_rejected_request", "The model endpoint rejected the request", message ?? "The request was rejected.", extensions),
            404 => new ApiProblem(404, "model_not_found", "The model was not found", message ?? "The model endpoint does not know the model.", extensions),
            413 => new ApiProblem(413, "model_request_too_large", "The request is too large for the model", message, extensions),
            429 => new ApiProblem(429, "model_rate_limited", "The model endpoint is rate limited", message ?? "Try again shortly.", extensions),
            401 or 403 => new ApiProblem(502, "model_auth_failed", "The gateway could not authenticate to the model endpoint", $"The model endpoint answered {status}.", extensions),
            503 => new ApiProblem(503, "model_unavailable", "The model endpoint is unavailable", message ?? "Try again shortly.", extensions),
            _ => new ApiProblem(502, "model_error", "The model call failed", $"The model endpoint answered {status}: {message}", extensions),
        };
    }

    /// <summary>An error object sent inside a stream (<c>data: {"error":{...}}</c>).</summary>
    public static ApiProblem FromStreamError(JsonObject error) =>
        new(502, "model_error", "The model call failed", (error["message"] as JsonValue)?.ToString() ?? "The model endpoint reported an error mid-stream.");

    private static string? Message(string body) => Read(body, "message");

    private static string? Param(string body) => Read(body, "param");

    private static string? Read(string body, string member)
    {
        try
        {
            return JsonNode.Parse(body)?["error"]?[member] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
