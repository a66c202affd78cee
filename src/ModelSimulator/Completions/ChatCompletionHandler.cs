using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Agents.ModelSimulator.Script;
using Microsoft.Extensions.Options;

namespace Agents.ModelSimulator.Completions;

/// <summary><c>POST /v1/chat/completions</c>: parse, read the script, fail on purpose or plan a reply, deliver it.</summary>
internal sealed class ChatCompletionHandler(
    IOptions<SimulatorOptions> options,
    FailureCounter failures,
    RequestStats stats,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<ChatCompletionHandler> logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        try
        {
            await HandleCoreAsync(context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client hung up (its timeout, a cancelled stream): nothing left to answer.
            SimulatorLog.ClientGone(logger);
        }
    }

    private async Task HandleCoreAsync(HttpContext context)
    {
        var body = await ReadBodyAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        ChatRequest? request;
        try
        {
            request = JsonSerializer.Deserialize(body.Span, SimJsonContext.Default.ChatRequest);
        }
        catch (JsonException e)
        {
            await RejectAsync(context, new RequestError($"We could not parse the JSON body of your request: {e.Message}", null)).ConfigureAwait(false);
            return;
        }

        if (request is null)
        {
            await RejectAsync(context, new RequestError("The request body must be a JSON object.", null)).ConfigureAwait(false);
            return;
        }

        var conversation = Conversation.TryCreate(request, context.Request.RouteValues["deployment"] as string, out var requestError);
        if (conversation is null)
        {
            await RejectAsync(context, requestError!).ConfigureAwait(false);
            return;
        }

        var model = conversation.Model;
        stats.Received(model, (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? context.Request.Path.Value ?? "");
        var header = context.Request.Headers[SimScriptParser.HeaderName].ToString();
        var parsed = header.Length > 0
            ? SimScriptParser.TryParseHeader(header, out var script, out var scriptError)
            : SimScriptParser.TryParseMessage(conversation.LastUserText, out script, out scriptError);
        if (!parsed)
        {
            await RejectAsync(context, new RequestError(scriptError!, header.Length > 0 ? SimScriptParser.HeaderName : "messages")).ConfigureAwait(false);
            return;
        }

        var fails = script.FailsFor(model);
        // "This exact request" is told apart only where it matters: to count its sightings, or to see it come back early.
        var key = fails && (script.Times is not null || script.RetryAfterSeconds is not null) ? RequestKey(body.Span, header) : null;
        if (key is not null)
        {
            stats.CheckRetryAfter(model, key);
        }

        var failing = fails && (script.Times is null || failures.Increment(key!) <= script.Times);
        if (failing && script.ErrorStatus is { } status)
        {
            SimulatorLog.ScriptedError(logger, status, model);
            await OpenAiError.WriteScriptedAsync(context.Response, status, script.RetryAfterSeconds).ConfigureAwait(false);
            stats.Errored(model, status, key, script.RetryAfterSeconds);
            return;
        }

        if (failing && script.Hang)
        {
            stats.Hung(model);
            await HangAsync(context, model).ConfigureAwait(false);
            return;
        }

        var reply = ReplyPlanner.Plan(request, conversation, script, options.Value.DefaultTokens, out var planError);
        if (reply is null)
        {
            await RejectAsync(context, planError!).ConfigureAwait(false);
            return;
        }

        // The id comes from the conversation like the answer does: asking again gives the same completion.
        var completion = new CompletionHeader("chatcmpl-" + conversation.HashHex(12), time.GetUtcNow().ToUnixTimeSeconds(), model);
        var usage = new TokenUsage(conversation.PromptTokens, reply.CompletionTokens, Math.Min(script.CachedTokens ?? 0, conversation.PromptTokens));
        var pacing = new Pacing(script.TimeToFirstTokenMs, script.TokensPerSecond, failing ? script.Drop : null);
        var delivered = request.Stream
            ? await SseStreamWriter.StreamAsync(context, completion, reply, usage, request.StreamOptions?.IncludeUsage == true, pacing, time).ConfigureAwait(false)
            : await RespondAsync(context, completion, reply, usage, pacing).ConfigureAwait(false);
        if (delivered)
        {
            stats.Completed(model);
            SimulatorLog.Completed(logger, completion.Id, completion.Model, reply.FinishReason, usage.PromptTokens, usage.CompletionTokens, request.Stream);
        }
        else
        {
            stats.Dropped(model);
            SimulatorLog.Dropped(logger, completion.Id);
        }
    }

    private async Task<bool> RespondAsync(HttpContext context, CompletionHeader completion, SimReply reply, TokenUsage usage, Pacing pacing)
    {
        if (pacing.TimeToFirstTokenMs > 0)
        {
            await Task.Delay(pacing.TimeToFirstToken, time, context.RequestAborted).ConfigureAwait(false);
        }

        if (pacing.DropAfter is not null)
        {
            // Nothing of a plain response can be sent "partly": cut the connection before any byte.
            context.Abort();
            return false;
        }

        context.Response.ContentType = "application/json";
        await using (var json = new Utf8JsonWriter(context.Response.BodyWriter, CompletionJson.WriterOptions))
        {
            CompletionJson.WriteCompletion(json, completion, reply, usage);
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        return true;
    }

    private async Task HangAsync(HttpContext context, string model)
    {
        SimulatorLog.Hanging(logger, model);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, time, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            // Shutting down: cut the connection rather than holding the host's graceful stop for its full timeout.
            context.Abort();
        }
    }

    private Task RejectAsync(HttpContext context, RequestError error)
    {
        SimulatorLog.Rejected(logger, error.Message);
        return OpenAiError.WriteBadRequestAsync(context.Response, error);
    }

    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpRequest request, CancellationToken cancellation)
    {
        using var buffer = new MemoryStream(request.ContentLength is > 0 and < int.MaxValue ? (int)request.ContentLength.Value : 4096);
        await request.Body.CopyToAsync(buffer, cancellation).ConfigureAwait(false);
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    /// <summary>Identifies "this exact request" for <c>times=</c> and Retry-After: the body as sent plus the x-sim header.</summary>
    private static string RequestKey(ReadOnlySpan<byte> body, string header)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(body);
        hash.AppendData(Encoding.UTF8.GetBytes(header));
        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
