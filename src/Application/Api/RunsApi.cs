using Agents.Application.Http;
using Agents.Application.Runs;
using Agents.Application.Streaming;
using Agents.Domain.Runs;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Agents.Application.Api;

/// <summary>Runs of a thread: start (202, wait, or stream), read, cancel, approve, and the event stream.</summary>
public static class RunsApi
{
    public static async Task<Results<Accepted<Run>, Created<Run>, EmptyHttpResult>> Create(
        HttpContext http, RunService service, IRunScheduler scheduler, RunEventStreamer streamer, RunEngineOptions options, string threadId, bool? wait)
    {
        var request = await RequestJson.ReadAsync<CreateRunRequest>(http.Request, http.RequestAborted);
        var caller = http.Caller();
        var run = await service.StartAsync(caller, threadId, request, scheduler, http.RequestAborted);
        var location = $"{http.Request.PathBase}{http.Request.Path.Value?.TrimEnd('/')}/{run.Id}";

        if (request.Stream == true || http.Request.Headers.Accept.Any(a => a?.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase) == true))
        {
            http.Response.Headers.Location = location;
            await streamer.StreamAsync(http, caller.UserId, run.Id, afterId: -1);
            return TypedResults.Empty;
        }
        if (wait == true)
        {
            var finished = await service.WaitAsync(caller, run, TimeSpan.FromSeconds(options.MaxWaitSeconds), http.RequestAborted);
            if (finished.Status.IsTerminal())
            {
                return TypedResults.Created(location, finished);
            }
            run = finished;
        }
        return TypedResults.Accepted(location, run);
    }

    public static async Task<Ok<Run>> Get(HttpContext http, RunService service, string threadId, string runId) =>
        TypedResults.Ok(await service.GetAsync(http.Caller(), threadId, runId, http.RequestAborted));

    public static async Task<Accepted<Run>> Cancel(HttpContext http, RunService service, IRunScheduler scheduler, string threadId, string runId) =>
        TypedResults.Accepted((string?)null, await service.CancelAsync(http.Caller(), threadId, runId, scheduler, http.RequestAborted));

    public static async Task<Accepted<Run>> Approve(HttpContext http, RunService service, IRunScheduler scheduler, string threadId, string runId)
    {
        var request = await RequestJson.ReadAsync<ApprovalRequest>(http.Request, http.RequestAborted);
        return TypedResults.Accepted((string?)null, await service.ApproveAsync(http.Caller(), threadId, runId, request, scheduler, http.RequestAborted));
    }

    public static async Task<EmptyHttpResult> Events(HttpContext http, RunService service, RunEventStreamer streamer, string threadId, string runId)
    {
        var caller = http.Caller();
        var afterId = RunEventStreamer.ResumePoint(http.Request);
        await service.GetAsync(caller, threadId, runId, http.RequestAborted); // 404 for a run that is not the caller's
        await streamer.StreamAsync(http, caller.UserId, runId, afterId);
        return TypedResults.Empty;
    }
}
