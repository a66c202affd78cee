using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Agents.Application.Http;
using Agents.Domain.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Agents.Application.Gateway;

public enum GatewaySurface
{
    OpenAi,
    Anthropic,
}

/// <summary>The gateway's problems, so each code is defined once.</summary>
public static class GatewayProblems
{
    public static ApiProblem PolicyBlocked(string? policy, string? reason) =>
        new(403, "policy_blocked", "A policy blocked the request", reason ?? "A policy blocked the request.",
            new Dictionary<string, object?> { ["policy"] = policy });

    public static ApiProblem Invalid(string param, string message) =>
        new(400, "invalid_request", "The request is not valid", $"{param}: {message}", new Dictionary<string, object?> { ["param"] = param });

    public static ApiProblem Unsupported(string param, string message) =>
        new(400, "unsupported_feature", "The gateway does not support this", $"{param}: {message}", new Dictionary<string, object?> { ["param"] = param });

    public static ApiProblem Unreachable(string detail) =>
        new(502, "model_unreachable", "The model endpoint could not be reached", detail);

    public static ApiProblem Timeout(string detail) =>
        new(504, "model_timeout", "The model did not answer in time", detail);

    public static ApiProblem Interrupted(string detail) =>
        new(502, "model_stream_interrupted", "The model's stream broke off", detail);

    public static ApiProblem BadResponse(string detail) =>
        new(502, "model_bad_response", "The model endpoint answered something unexpected", detail);
}

/// <summary>
/// Errors in each surface's own format, with our problem code inside: OpenAI's
/// <c>{"error":{"message","type","code","param"}}</c> (code = our code) and Anthropic's
/// <c>{"type":"error","error":{"type","message","problem_code"}}</c>. <see cref="HandleAsync"/> also converts the
/// ProblemDetails of the steps that run inside it (authentication, limits) and <see cref="ApiProblemException"/>s, and
/// gives every gateway response its request id (<c>x-request-id</c>, <c>request-id</c>).
/// </summary>
public static class GatewayErrors
{
    private const string RequestIdKey = "agents.gateway.requestId";

    /// <summary>The request's id: created once, it is also the id of its usage record (so it is counted once).</summary>
    public static string RequestId(HttpContext http)
    {
        if (http.Items[RequestIdKey] is string id)
        {
            return id;
        }
        id = $"gw_{Guid.CreateVersion7():N}";
        http.Items[RequestIdKey] = id;
        return id;
    }

    /// <summary>
    /// Runs <paramref name="next"/> (the outermost step, so it sees what the steps inside it answer) and converts its
    /// ProblemDetails and exceptions into the surface's format; see <see cref="GatewayRoutes.HandleAsync"/>.
    /// </summary>
    public static async ValueTask<object?> HandleAsync(HttpContext http, GatewaySurface surface, Func<ValueTask<object?>> next)
    {
        var id = RequestId(http);
        http.Response.Headers["x-request-id"] = id;
        http.Response.Headers["request-id"] = id;
        try
        {
            var result = await next().ConfigureAwait(false);
            return result is ProblemHttpResult problem ? Result(surface, FromDetails(problem.ProblemDetails), http) : result;
        }
        catch (ApiProblemException e) when (!http.Response.HasStarted)
        {
            return Result(surface, e.Problem, http);
        }
        catch (Exception e) when (!http.Response.HasStarted && !http.RequestAborted.IsCancellationRequested && e is not OperationCanceledException)
        {
            // The API's translation (a body over the limit is a 413, a database that does not answer a 503), in the surface's format.
            var problem = ProblemMiddleware.Translate(e, http.RequestServices.GetRequiredService<RequestLimits>());
            if (problem.Status >= 500)
            {
                http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GatewayErrors).FullName!).LogGatewayFailure(e, http.Request.Path.Value ?? "");
            }
            return Result(surface, problem, http);
        }
    }

    public static IResult Result(GatewaySurface surface, ApiProblem problem, HttpContext http)
    {
        ProblemWriter.SetRetryAfter(problem, http);
        return Results.Content(Body(surface, problem).ToJsonString(GatewayJson.Options), "application/json", statusCode: problem.Status);
    }

    public static JsonObject Body(GatewaySurface surface, ApiProblem problem) => surface == GatewaySurface.OpenAi
        ? new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["message"] = problem.Detail ?? problem.Title,
                ["type"] = OpenAiType(problem.Status),
                ["code"] = problem.Code,
                ["param"] = Param(problem),
            },
        }
        : new JsonObject
        {
            ["type"] = "error",
            ["error"] = new JsonObject
            {
                ["type"] = AnthropicType(problem.Status),
                ["message"] = problem.Detail ?? problem.Title,
                ["problem_code"] = problem.Code,
            },
        };

    public static ApiProblem FromDetails(ProblemDetails details)
    {
        var code = details.Extensions.TryGetValue("code", out var c) ? Convert.ToString(c, CultureInfo.InvariantCulture) : null;
        var extensions = new Dictionary<string, object?>();
        if (details.Extensions.TryGetValue("errors", out var errors) && FirstField(errors) is { } field)
        {
            extensions["param"] = field;
        }
        return new ApiProblem(details.Status ?? 500, code ?? "error", details.Title ?? "Error", details.Detail, extensions);
    }

    private static string? FirstField(object? errors) => errors switch
    {
        IDictionary<string, string[]> d => d.Keys.FirstOrDefault(),
        JsonElement { ValueKind: JsonValueKind.Object } e => e.EnumerateObject().Select(p => p.Name).FirstOrDefault(),
        _ => null,
    };

    private static string? Param(ApiProblem problem) =>
        problem.Extensions?.TryGetValue("param", out var p) == true ? Convert.ToString(p, CultureInfo.InvariantCulture) : null;

    private static string OpenAiType(int status) => status switch
    {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };

    private static string AnthropicType(int status) => status switch
    {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        503 or 529 => "overloaded_error",
        502 or 504 => "api_error",
        >= 500 => "api_error",
        _ => "invalid_request_error",
    };
}

internal static partial class GatewayLog
{
    [LoggerMessage(Level = LogLevel.Error, Message = "Gateway request {Path} failed")]
    public static partial void LogGatewayFailure(this ILogger logger, Exception e, string path);
}
