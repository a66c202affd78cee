using System.Net;
using Agents.Application.Storage.Cosmos;
using Agents.Application.Storage.Queues;
using Agents.Domain.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Logging;

namespace Agents.Application.Http;

/// <summary>
/// The one place exceptions become responses: an <see cref="ApiProblemException"/> its problem, bad requests a 400 or
/// 413, an unreachable dependency a 503, anything else a 500 without details (logged with the trace id). Also
/// holds every body to the limit (a declared length is refused before the body is parsed, <see cref="RefuseOversizeBodyAsync"/>;
/// a chunked body is refused when reading passes the limit, <see cref="LimitedRequestBody"/>) and tags every request
/// with a correlation id. HttpPipelineMiddleware (src/Functions) runs <see cref="HandleAsync"/> around every HTTP function.
/// </summary>
public static partial class ProblemMiddleware
{
    public const string CorrelationHeader = "x-correlation-id";

    /// <summary>Runs <paramref name="next"/> with the correlation id, the body limit and exception-to-problem translation.</summary>
    public static async Task HandleAsync(HttpContext context, RequestLimits limits, ILogger logger, Func<Task> next)
    {
        var correlationId = CorrelationId(context);
        context.Response.Headers[CorrelationHeader] = correlationId;
        // Baggage, so the work the request starts (a run's orchestration, queued writes) carries it too.
        System.Diagnostics.Activity.Current?.SetTag(Telemetry.AgentsTelemetry.CorrelationId, correlationId).SetBaggage(Telemetry.AgentsTelemetry.CorrelationBaggage, correlationId);
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["CorrelationId"] = correlationId, ["Path"] = context.Request.Path.Value ?? "" });
        if (context.Request.ContentLength is null)
        {
            context.Request.Body = new LimitedRequestBody(context.Request.Body, limits.MaxBodyBytes);
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            // The worker's Kestrel otherwise allows 30 MB. Up to the drain limit it also reads away a body that nothing
            // read (a route that needs none), so that its answer reaches the client (see LimitedRequestBody).
            size.MaxRequestBodySize = LimitedRequestBody.DrainLimit(limits.MaxBodyBytes);
        }
        try
        {
            await next().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            var problem = Translate(e, limits);
            if (problem.Status >= 500)
            {
                LogFailure(logger, e, context.Request.Method, context.Request.Path.Value ?? "", problem.Code);
            }
            context.Response.Clear();
            context.Response.Headers[CorrelationHeader] = correlationId;
            await ProblemWriter.WriteAsync(context, problem).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The 413 for a body whose declared length is over the limit, before anything parses it; null otherwise. A client
    /// that waits for <c>100 Continue</c> never sends the body; one that sends it anyway has it read away first (up to
    /// the drain limit), so that the answer reaches it. A step of the pipeline (HttpPipelineMiddleware,
    /// <see cref="Gateway.GatewayRoutes.HandleAsync"/>), so that the gateway answers in its surfaces' formats.
    /// </summary>
    public static async ValueTask<IResult?> RefuseOversizeBodyAsync(HttpContext context, RequestLimits limits)
    {
        var declared = context.Request.ContentLength;
        if (declared is null || declared <= limits.MaxBodyBytes)
        {
            return null;
        }
        var waiting = context.Request.Headers.Expect.Any(e => string.Equals(e, "100-continue", StringComparison.OrdinalIgnoreCase));
        if (!waiting && declared <= LimitedRequestBody.DrainLimit(limits.MaxBodyBytes))
        {
            await LimitedRequestBody.DrainAsync(context.Request.Body, declared.Value, context.RequestAborted).ConfigureAwait(false);
        }
        return ProblemWriter.Result(Problems.BodyTooLarge(limits.MaxBodyBytes), context);
    }

    /// <summary>The problem an exception stands for (the gateway answers it in its surfaces' formats).</summary>
    public static ApiProblem Translate(Exception e, RequestLimits limits) => e switch
    {
        ApiProblemException p => p.Problem,
        InvalidCursorException => Problems.InvalidCursor(),
        BadHttpRequestException { StatusCode: 413 } => Problems.BodyTooLarge(limits.MaxBodyBytes),
        BadHttpRequestException b => new ApiProblem(400, "bad_request", "The request is not valid", b.Message),
        CosmosException { StatusCode: HttpStatusCode.PreconditionFailed } => Problems.Conflict("concurrent_update", "Someone else changed it first", "Read it again and retry."),
        CosmosException { StatusCode: HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable or HttpStatusCode.RequestTimeout } => Problems.Unavailable("The database"),
        HttpRequestException => Problems.Unavailable("A storage service"),
        _ when StorageQueues.IsUnavailable(e) => Problems.Unavailable("The queue service"),
        _ => Problems.Unexpected(),
    };

    private static string CorrelationId(HttpContext context)
    {
        var given = context.Request.Headers[CorrelationHeader].FirstOrDefault();
        return given is { Length: > 0 and <= 64 } && given.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            ? given
            : System.Diagnostics.Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed with {Code}")]
    private static partial void LogFailure(ILogger logger, Exception e, string method, string path, string code);
}
