using Agents.Domain.Errors;

namespace Agents.Application.Models;

/// <summary>
/// A model call failed; <see cref="Transient"/> says whether trying again may help, <see cref="UpstreamStatus"/> what
/// the endpoint answered (null when it did not answer).
/// </summary>
public sealed class ModelCallException(ApiProblem problem, bool transient, TimeSpan? retryAfter = null, Exception? inner = null, int? upstreamStatus = null)
    : Exception(problem.Detail ?? problem.Title, inner)
{
    public ApiProblem Problem { get; } = problem;
    public bool Transient { get; } = transient;
    public TimeSpan? RetryAfter { get; } = retryAfter;
    public int? UpstreamStatus { get; } = upstreamStatus;

    /// <summary>The endpoint refused the request itself (malformed, too large): another deployment would refuse it too.</summary>
    public bool BlamesRequest => UpstreamStatus is 400 or 413 or 422;
}
