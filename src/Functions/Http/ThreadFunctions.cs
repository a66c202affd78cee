using Agents.Application.Api;
using Agents.Application.Conversations;
using Agents.Application.Http;
using Agents.Application.Runs;
using Agents.Application.Runs.Persistence;
using Agents.Domain.Conversations;
using Agents.Functions.OpenApi;
using Agents.Functions.Runs;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Agents.Functions.Http;

/// <summary>Threads and their messages (<see cref="ThreadsApi"/>).</summary>
[Tags("threads")]
public sealed class ThreadFunctions(
    ThreadStore threads, MessageStore messages, RequestLimits limits, TimeProvider clock, PersistenceSender persistence,
    RunService runs, RunEngineOptions options, ILogger<DurableRunScheduler> schedulerLogger)
{
    [Function(nameof(ListThreads))]
    [EndpointSummary("The caller's threads, newest first")]
    [QueryParameter("limit", typeof(int), "Page size, 1 to the page limit (default 20)")]
    [QueryParameter("cursor", typeof(string), "The nextCursor of the previous page")]
    public async Task<Ok<ListResponse<ChatThread>>> ListThreads([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/threads")] HttpRequest req) =>
        await ThreadsApi.List(req.HttpContext, threads, limits, Query.Int(req, "limit"), Query.Text(req, "cursor"));

    [Function(nameof(CreateThread))]
    [EndpointSummary("Creates a thread (an empty body takes the defaults)")]
    [RequestBody(typeof(CreateThreadRequest), Required = false)]
    public async Task<Created<ChatThread>> CreateThread([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/threads")] HttpRequest req) =>
        await ThreadsApi.Create(req.HttpContext, threads, limits, clock);

    [Function(nameof(GetThread))]
    [EndpointSummary("One of the caller's threads")]
    public async Task<Ok<ChatThread>> GetThread([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/threads/{threadId}")] HttpRequest req, string threadId) =>
        await ThreadsApi.Get(req.HttpContext, threads, threadId);

    [Function(nameof(UpdateThread))]
    [EndpointSummary("Renames a thread or replaces its metadata")]
    [RequestBody(typeof(UpdateThreadRequest))]
    [Problems(409)]
    public async Task<Ok<ChatThread>> UpdateThread([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "v1/threads/{threadId}")] HttpRequest req, string threadId) =>
        await ThreadsApi.Update(req.HttpContext, threads, limits, clock, threadId);

    [Function(nameof(DeleteThread))]
    [EndpointSummary("Deletes a thread, cancelling its active run; its messages and runs go in the background")]
    public async Task<NoContent> DeleteThread(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "v1/threads/{threadId}")] HttpRequest req, [DurableClient] DurableTaskClient client, string threadId) =>
        await ThreadsApi.Delete(req.HttpContext, threads, runs, new DurableRunScheduler(client, options, schedulerLogger), persistence, threadId);

    [Function(nameof(ListMessages))]
    [EndpointSummary("A thread's messages, oldest first unless order=desc")]
    [QueryParameter("limit", typeof(int), "Page size, 1 to the page limit (default 50)")]
    [QueryParameter("cursor", typeof(string), "The nextCursor of the previous page")]
    [QueryParameter("order", typeof(string), "asc (default) or desc")]
    public async Task<Ok<ListResponse<ChatMessage>>> ListMessages([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/threads/{threadId}/messages")] HttpRequest req, string threadId) =>
        await ThreadsApi.ListMessages(req.HttpContext, threads, messages, limits, threadId,
            Query.Int(req, "limit"), Query.Text(req, "cursor"), Query.Text(req, "order"));
}
