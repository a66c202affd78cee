using System.Diagnostics;
using System.Globalization;
using Agents.Domain.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Agents.Application.Http;

/// <summary>
/// The one place an <see cref="ApiProblem"/> becomes an RFC 9457 ProblemDetails: a stable <c>type</c> and <c>code</c>,
/// the <c>traceId</c> of the request, and never a stack trace. The SSE error event uses the same shape.
/// </summary>
public static class ProblemWriter
{
    public static ProblemDetails ToProblemDetails(ApiProblem problem, HttpContext? context)
    {
        var details = new ProblemDetails
        {
            Type = problem.Type,
            Title = problem.Title,
            Status = problem.Status,
            Detail = problem.Detail,
            Instance = context?.Request.Path.Value,
        };
        details.Extensions["code"] = problem.Code;
        details.Extensions["traceId"] = Activity.Current?.TraceId.ToString() ?? context?.TraceIdentifier;
        foreach (var (key, value) in problem.Extensions ?? new Dictionary<string, object?>())
        {
            details.Extensions[key] = value;
        }
        return details;
    }

    public static IResult Result(ApiProblem problem, HttpContext? context = null)
    {
        if (context is not null)
        {
            SetRetryAfter(problem, context);
        }
        return TypedResults.Problem(ToProblemDetails(problem, context));
    }

    public static Task WriteAsync(HttpContext context, ApiProblem problem)
    {
        SetRetryAfter(problem, context);
        context.Response.StatusCode = problem.Status;
        return context.Response.WriteAsJsonAsync(ToProblemDetails(problem, context), options: null, contentType: "application/problem+json");
    }

    /// <summary>A problem with a <c>retryAfter</c> member (whole seconds) says when to try again in the Retry-After header too.</summary>
    public static void SetRetryAfter(ApiProblem problem, HttpContext context)
    {
        if (problem.Extensions?.TryGetValue(Problems.RetryAfterMember, out var after) == true && after is not null)
        {
            context.Response.Headers.RetryAfter = Convert.ToString(after, CultureInfo.InvariantCulture);
        }
    }
}
