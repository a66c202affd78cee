using System.Diagnostics;
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

    public static IResult Result(ApiProblem problem, HttpContext? context = null) =>
        TypedResults.Problem(ToProblemDetails(problem, context));

    public static Task WriteAsync(HttpContext context, ApiProblem problem)
    {
        context.Response.StatusCode = problem.Status;
        return context.Response.WriteAsJsonAsync(ToProblemDetails(problem, context), options: null, contentType: "application/problem+json");
    }
}
