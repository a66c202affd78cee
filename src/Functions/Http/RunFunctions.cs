using Agents.Application.Api;
using Agents.Application.Runs;
using Agents.Application.Streaming;
using Agents.Domain.Runs;
using Agents.Functions.OpenApi;
using Agents.Functions.Runs;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
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
[Tags("runs")]
public sealed class RunFunctions(RunService service, RunEventStreamer streamer, RunEngineOptions options, ILogger<DurableRunScheduler> schedulerLogger)
{
    [Function(nameof(CreateRun))]
    [EndpointSummary("Starts a run on a thread: 202 with the run, 201 with the finished run (wait=true), or its event stream (stream: true or Accept: text/event-stream)")]
    [RequestBody(typeof(CreateRunRequest))]
    [QueryParameter("wait", typeof(bool), "Wait up to the wait limit for the run to end (201 if it did, else 202)")]
    [Response(200, NamedSchemas.RunEventStream, "The run's events (stream: true)", "text/event-stream")]
    [Problems(409)]
    public Task<Results<Accepted<Run>, Created<Run>, EmptyHttpResult>> CreateRun(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/threads/{threadId}/runs")] HttpRequest req, [DurableClient] DurableTaskClient client, string threadId) =>
        RunsApi.Create(req.HttpContext, service, Scheduler(client), streamer, options, threadId, Query.Bool(req, "wait"));

    [Function(nameof(GetRun))]
    [EndpointSummary("A run with its steps and usage")]
    public Task<Ok<Run>> GetRun([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/threads/{threadId}/runs/{runId}")] HttpRequest req, string threadId, string runId) =>
        RunsApi.Get(req.HttpContext, service, threadId, runId);

    [Function(nameof(CancelRun))]
    [EndpointSummary("Asks a run to stop; it ends cancelled, keeping the text streamed so far")]
    [Problems(409)]
    public Task<Accepted<Run>> CancelRun(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/threads/{threadId}/runs/{runId}/cancel")] HttpRequest req, [DurableClient] DurableTaskClient client,
        string threadId, string runId) =>
        RunsApi.Cancel(req.HttpContext, service, Scheduler(client), threadId, runId);

    [Function(nameof(ApproveToolCall))]
    [EndpointSummary("Approves or denies a tool call the run is waiting on")]
    [RequestBody(typeof(ApprovalRequest))]
    [Problems(409)]
    public Task<Accepted<Run>> ApproveToolCall(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/threads/{threadId}/runs/{runId}/approvals")] HttpRequest req, [DurableClient] DurableTaskClient client,
        string threadId, string runId) =>
        RunsApi.Approve(req.HttpContext, service, Scheduler(client), threadId, runId);

    [Function(nameof(StreamRunEvents))]
    [EndpointSummary("The run's events as Server-Sent Events, from the start or after Last-Event-ID")]
    [Response(200, NamedSchemas.RunEventStream, "The run's events, then done", "text/event-stream")]
    public Task<EmptyHttpResult> StreamRunEvents([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/threads/{threadId}/runs/{runId}/events")] HttpRequest req, string threadId, string runId) =>
        RunsApi.Events(req.HttpContext, service, streamer, threadId, runId);

    private DurableRunScheduler Scheduler(DurableTaskClient client) => new(client, options, schedulerLogger);
}
