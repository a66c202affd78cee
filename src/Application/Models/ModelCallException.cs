using Agents.Domain.Errors;

namespace Agents.Application.Models;

/// <summary>A model call failed; <see cref="Transient"/> says whether trying again may help.</summary>
public sealed class ModelCallException(ApiProblem problem, bool transient, TimeSpan? retryAfter = null, Exception? inner = null)
    : Exception(problem.Detail ?? problem.Title, inner)
{
    public ApiProblem Problem { get; } = problem;
    public bool Transient { get; } = transient;
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
