using Agents.Application.Api;
using Agents.Application.Runs;
using Agents.Application.Streaming;
using Agents.Functions.Runs;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Agents.Functions.Http;

/// <summary>
/// Runs of a thread (<see cref="RunsApi"/>). Starting a run schedules its orchestration through the function's Durable
/// client; an approval and a cancel raise its events. The event stream (and <c>stream: true</c>) is written straight
/// to the response by the shared streamer; the front end closes any HTTP response after 230 s, and clients resume with
/// Last-Event-ID.
/// </summary>
public sealed class RunFunctions(RunService service, RunEventStreamer streamer, RunEngineOptions options, ILogger<DurableRunScheduler> schedulerLogger)
{
    [Function(nameof(CreateRun))]
    public Task<IResult> CreateRun(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/threads/{threadId}/runs")] HttpRequest req, [DurableClient] DurableTaskClient client, string threadId) =>
        RunsApi.Create(req.HttpContext, service, Scheduler(client), streamer, options, threadId, Query.Bool(req, "wait"));

    [Function(nameof(GetRun))]
    public Task<IResult> GetRun([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/threads/{threadId}/runs/{runId}")] HttpRequest req, string threadId, string runId) =>
        RunsApi.Get(req.HttpContext, service, threadId, runId);

    [Function(nameof(CancelRun))]
    public Task<IResult> CancelRun(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/threads/{threadId}/runs/{runId}/cancel")] HttpRequest req, [DurableClient] DurableTaskClient client,
        string threadId, string runId) =>
        RunsApi.Cancel(req.HttpContext, service, Scheduler(client), threadId, runId);

    [Function(nameof(ApproveToolCall))]
    public Task<IResult> ApproveToolCall(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/threads/{threadId}/runs/{runId}/approvals")] HttpRequest req, [DurableClient] DurableTaskClient client,
        string threadId, string runId) =>
        RunsApi.Approve(req.HttpContext, service, Scheduler(client), threadId, runId);

    [Function(nameof(StreamRunEvents))]
    public Task<IResult> StreamRunEvents([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/threads/{threadId}/runs/{runId}/events")] HttpRequest req, string threadId, string runId) =>
        RunsApi.Events(req.HttpContext, service, streamer, threadId, runId);

    private DurableRunScheduler Scheduler(DurableTaskClient client) => new(client, options, schedulerLogger);
}
