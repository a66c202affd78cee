using Agents.Application.Api;
using Agents.Application.Conversations;
using Agents.Application.Http;
using Agents.Application.Runs;
using Agents.Application.Runs.Persistence;
using Agents.Functions.Runs;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Agents.Functions.Http;

/// <summary>Threads and their messages (<see cref="ThreadsApi"/>).</summary>
public sealed class ThreadFunctions(
    ThreadStore threads, MessageStore messages, RequestLimits limits, TimeProvider clock, PersistenceSender persistence,
    RunService runs, RunEngineOptions options, ILogger<DurableRunScheduler> schedulerLogger)
{
    [Function(nameof(ListThreads))]
    public async Task<IResult> ListThreads([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/threads")] HttpRequest req) =>
        await ThreadsApi.List(req.HttpContext, threads, limits, Query.Int(req, "limit"), Query.Text(req, "cursor"));

    [Function(nameof(CreateThread))]
    public async Task<IResult> CreateThread([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/threads")] HttpRequest req) =>
        await ThreadsApi.Create(req.HttpContext, threads, limits, clock);

    [Function(nameof(GetThread))]
    public async Task<IResult> GetThread([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/threads/{threadId}")] HttpRequest req, string threadId) =>
        await ThreadsApi.Get(req.HttpContext, threads, threadId);

    [Function(nameof(UpdateThread))]
    public async Task<IResult> UpdateThread([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "v1/threads/{threadId}")] HttpRequest req, string threadId) =>
        await ThreadsApi.Update(req.HttpContext, threads, limits, clock, threadId);

    [Function(nameof(DeleteThread))]
    public async Task<IResult> DeleteThread(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "v1/threads/{threadId}")] HttpRequest req, [DurableClient] DurableTaskClient client, string threadId) =>
        await ThreadsApi.Delete(req.HttpContext, threads, runs, new DurableRunScheduler(client, options, schedulerLogger), persistence, threadId);

    [Function(nameof(ListMessages))]
    public async Task<IResult> ListMessages([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/threads/{threadId}/messages")] HttpRequest req, string threadId) =>
        await ThreadsApi.ListMessages(req.HttpContext, threads, messages, limits, threadId,
            Query.Int(req, "limit"), Query.Text(req, "cursor"), Query.Text(req, "order"));
}
