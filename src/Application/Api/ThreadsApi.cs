using Agents.Application.Conversations;
using Agents.Application.Http;
using Agents.Application.Runs;
using Agents.Application.Runs.Persistence;
using Agents.Domain.Conversations;
using Agents.Domain.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Agents.Application.Api;

public sealed record CreateThreadRequest(string? Title = null, Dictionary<string, string>? Metadata = null);

public sealed record UpdateThreadRequest(string? Title = null, Dictionary<string, string>? Metadata = null);

/// <summary>A page of a list: the items and the cursor of the next page (null at the end).</summary>
public sealed record ListResponse<T>(IReadOnlyList<T> Data, string? NextCursor);

/// <summary>Threads and their messages.</summary>
public static class ThreadsApi
{
    public static async Task<Ok<ListResponse<ChatThread>>> List(HttpContext http, ThreadStore threads, RequestLimits limits, int? limit, string? cursor)
    {
        var page = await threads.ListAsync(http.Caller().UserId, Paging.Limit(limit, 20, limits), cursor, http.RequestAborted);
        return TypedResults.Ok(new ListResponse<ChatThread>(page.Items, page.NextCursor));
    }

    public static async Task<Created<ChatThread>> Create(HttpContext http, ThreadStore threads, RequestLimits limits, TimeProvider clock)
    {
        var request = http.Request.ContentLength is 0 or null && !http.Request.HasJsonContentType()
            ? new CreateThreadRequest()
            : await RequestJson.ReadAsync<CreateThreadRequest>(http.Request, http.RequestAborted);
        Validate(request.Title, request.Metadata, limits);
        var now = clock.GetUtcNow();
        var thread = new ChatThread
        {
            Id = Ids.New("thr"),
            OwnerId = http.Caller().UserId,
            Title = string.IsNullOrWhiteSpace(request.Title) ? "New chat" : request.Title.Trim(),
            Metadata = request.Metadata ?? [],
            CreatedAt = now,
            UpdatedAt = now,
        };
        await threads.CreateAsync(thread, http.RequestAborted);
        return TypedResults.Created($"{http.Request.PathBase}{http.Request.Path.Value?.TrimEnd('/')}/{thread.Id}", thread);
    }

    public static async Task<Ok<ChatThread>> Get(HttpContext http, ThreadStore threads, string threadId) =>
        TypedResults.Ok((await Require(threads, http, threadId)).Value);

    public static async Task<Ok<ChatThread>> Update(HttpContext http, ThreadStore threads, RequestLimits limits, TimeProvider clock, string threadId)
    {
        var request = await RequestJson.ReadAsync<UpdateThreadRequest>(http.Request, http.RequestAborted);
        Validate(request.Title, request.Metadata, limits);
        var stored = await Require(threads, http, threadId);
        var updated = stored.Value with
        {
            Title = string.IsNullOrWhiteSpace(request.Title) ? stored.Value.Title : request.Title.Trim(),
            Metadata = request.Metadata ?? stored.Value.Metadata,
            UpdatedAt = clock.GetUtcNow(),
        };
        await threads.ReplaceAsync(updated, stored.ETag, http.RequestAborted);
        return TypedResults.Ok(updated);
    }

    /// <summary>
    /// Deletes the thread at once (it 404s from now on). A run still active on it is cancelled, as its cancel route
    /// would; the messages, runs and events go in the background once that run has ended (<see cref="ThreadDeletion"/>).
    /// </summary>
    public static async Task<NoContent> Delete(HttpContext http, ThreadStore threads, RunService runs, IRunScheduler scheduler, PersistenceSender persistence, string threadId)
    {
        var caller = http.Caller();
        var thread = await Require(threads, http, threadId);
        if (thread.Value.ActiveRunId is { } active)
        {
            try
            {
                await runs.CancelAsync(caller, threadId, active, scheduler, http.RequestAborted);
            }
            catch (ApiProblemException e) when (e.Problem.Status == 404)
            {
                // The run is gone already: nothing to stop.
            }
        }
        if (!await threads.DeleteAsync(caller.UserId, threadId, http.RequestAborted))
        {
            throw new ApiProblemException(Problems.NotFound("thread", threadId));
        }
        await persistence.SendThreadDeletedAsync(caller.UserId, threadId, thread.Value.ActiveRunId, http.RequestAborted);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<ListResponse<ChatMessage>>> ListMessages(
        HttpContext http, ThreadStore threads, MessageStore messages, RequestLimits limits, string threadId, int? limit, string? cursor, string? order)
    {
        var ascending = order?.ToLowerInvariant() switch
        {
            null or "asc" => true,
            "desc" => false,
            _ => throw new ApiProblemException(Problems.Field("order", "must be 'asc' or 'desc'")),
        };
        await Require(threads, http, threadId);
        var page = await messages.ListAsync(http.Caller().UserId, threadId, Paging.Limit(limit, 50, limits), cursor, ascending, http.RequestAborted);
        return TypedResults.Ok(new ListResponse<ChatMessage>(page.Items, page.NextCursor));
    }

    internal static async Task<Storage.Cosmos.Stored<ChatThread>> Require(ThreadStore threads, HttpContext http, string threadId) =>
        await threads.GetAsync(http.Caller().UserId, threadId, http.RequestAborted)
        ?? throw new ApiProblemException(Problems.NotFound("thread", threadId));

    private static void Validate(string? title, Dictionary<string, string>? metadata, RequestLimits limits)
    {
        var errors = new List<FieldError>();
        if (title is { } t && t.Length > limits.MaxTitleChars)
        {
            errors.Add(new FieldError("title", $"must be at most {limits.MaxTitleChars} characters"));
        }
        if (metadata is { Count: > 16 })
        {
            errors.Add(new FieldError("metadata", "may hold at most 16 entries"));
        }
        if (metadata?.Any(kv => kv.Key.Length > 64 || kv.Value.Length > 512) == true)
        {
            errors.Add(new FieldError("metadata", "keys are at most 64 characters and values at most 512"));
        }
        if (errors.Count > 0)
        {
            throw new ApiProblemException(Problems.Validation(errors));
        }
    }
}

/// <summary>Page size rules shared by every list route.</summary>
public static class Paging
{
    public static int Limit(int? requested, int fallback, RequestLimits limits) => requested switch
    {
        null => fallback,
        < 1 => throw new ApiProblemException(Problems.Field("limit", "must be at least 1")),
        var n when n > limits.MaxPageSize => throw new ApiProblemException(Problems.Field("limit", $"must be at most {limits.MaxPageSize}")),
        var n => n.Value,
    };
}
