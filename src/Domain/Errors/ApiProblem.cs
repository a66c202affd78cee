namespace Agents.Domain.Errors;

/// <summary>
/// A failure the API reports to its caller. Rendered in exactly one place as an RFC 9457 ProblemDetails
/// (JSON) or an SSE <c>error</c> event, with <see cref="Code"/> as the stable machine-readable code.
/// </summary>
/// <param name="Status">HTTP status code.</param>
/// <param name="Code">Stable code, e.g. <c>thread_not_found</c>; the problem <c>type</c> is derived from it.</param>
/// <param name="Title">Short, stable human summary of the code.</param>
/// <param name="Detail">What was wrong with this request.</param>
/// <param name="Extensions">Extra members (for example the field and the limit of a validation failure).</param>
public sealed record ApiProblem(
    int Status,
    string Code,
    string Title,
    string? Detail = null,
    IReadOnlyDictionary<string, object?>? Extensions = null)
{
    /// <summary>The problem type URI, stable per code.</summary>
    public string Type => $"https://agents.dev/problems/{Code.Replace('_', '-')}";
}

/// <summary>Thrown where unwinding is simpler than returning; mapped to a ProblemDetails by the error middleware.</summary>
public sealed class ApiProblemException(ApiProblem problem, Exception? inner = null) : Exception(problem.Detail ?? problem.Title, inner)
{
    public ApiProblem Problem { get; } = problem;
}
