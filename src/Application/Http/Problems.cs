using Agents.Domain.Errors;

namespace Agents.Application.Http;

/// <summary>The catalogue of problems the API reports, so each code is defined once.</summary>
public static class Problems
{
    /// <summary>The member (whole seconds) that also becomes the Retry-After header (<see cref="ProblemWriter.SetRetryAfter"/>).</summary>
    public const string RetryAfterMember = "retryAfter";

    /// <summary>When a client should try again after a dependency did not answer: outages that pass pass within seconds.</summary>
    public const int UnavailableRetryAfterSeconds = 5;

    public static ApiProblem NotFound(string what, string id) =>
        new(404, $"{what}_not_found", $"The {what} was not found", $"There is no {what} '{id}' that you can access.");

    public static ApiProblem Validation(IReadOnlyList<FieldError> errors) =>
        new(400, "validation_failed", "The request is not valid",
            string.Join("; ", errors.Select(e => $"{e.Field} {e.Message}")),
            new Dictionary<string, object?> { ["errors"] = errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()) });

    public static ApiProblem Field(string field, string message) => Validation([new FieldError(field, message)]);

    public static ApiProblem MalformedJson(string detail) =>
        new(400, "malformed_json", "The request body is not valid JSON", detail);

    public static ApiProblem BodyRequired() =>
        new(400, "body_required", "A JSON request body is required", "Send a JSON object with Content-Type: application/json.");

    public static ApiProblem UnsupportedMediaType(string? contentType) =>
        new(415, "unsupported_media_type", "The request body must be JSON", $"Content-Type '{contentType}' is not application/json.");

    public static ApiProblem BodyTooLarge(long limit) =>
        new(413, "body_too_large", "The request body is too large", $"The body must be at most {limit} bytes.",
            new Dictionary<string, object?> { ["limit"] = limit });

    public static ApiProblem InvalidCursor() =>
        new(400, "invalid_cursor", "The cursor is not valid", "Pass back the nextCursor of a previous page unchanged.");

    public static ApiProblem Forbidden(string detail) =>
        new(403, "forbidden", "You may not do this", detail);

    /// <summary>What only an admin may do (<see cref="Domain.Identity.Caller.IsAdmin"/>): <paramref name="what"/> says what.</summary>
    public static ApiProblem AdminOnly(string what) =>
        Forbidden($"Only an admin may {what}: it needs the {Domain.Identity.Caller.AdminRole} role, and with an API key its '{Domain.Identity.Caller.AdminKeyScope}' scope.");

    public static ApiProblem Conflict(string code, string title, string detail) => new(409, code, title, detail);

    public static ApiProblem Unexpected() =>
        new(500, "internal_error", "Something went wrong on our side", "The error was logged; quote the traceId if you report it.");

    public static ApiProblem Unavailable(string dependency) =>
        new(503, "dependency_unavailable", "A service we depend on is unavailable", $"{dependency} did not answer; try again in a few seconds.",
            new Dictionary<string, object?> { [RetryAfterMember] = UnavailableRetryAfterSeconds });

    public static ApiProblem RouteNotFound(string path) =>
        new(404, "route_not_found", "There is no such route", $"No endpoint matches '{path}'.");
}
