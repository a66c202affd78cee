using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Agents.Application.Gateway.Activity;
using Agents.Application.Limits;
using Agents.Application.Models;
using Agents.Application.Policies;
using Agents.Domain.Errors;
using Agents.Domain.Identity;
using Agents.Domain.Usage;
using Microsoft.Extensions.Logging;

namespace Agents.Application.Gateway;

public enum ChunkKind
{
    /// <summary>A <c>chat.completion.chunk</c> after the policies; <see cref="GatewayChunk.Raw"/> is set when it is unchanged.</summary>
    Data,
    /// <summary>The usage-only chunk at the end of a stream (forwarded by the OpenAI surface only if the client asked).</summary>
    Usage,
    /// <summary>The stream ends with an error: a policy blocked the response, or the upstream stream failed.</summary>
    Error,
}

public sealed record GatewayChunk(ChunkKind Kind, JsonObject? Json, string? Raw, ApiProblem? Problem = null);

/// <summary>
/// One forwarded request. The answer goes through the response and tool-call stages of the chain: text can be
/// modified or blocked, and tool calls go through <see cref="ToolCallGate"/> (held in a stream until complete, blocked
/// ones removed and explained); text passes at once. Disposing records the usage exactly once under the request id,
/// from the upstream usage or, for a stream cut short (client gone, upstream broke), estimated from what was streamed
/// (partial).
/// </summary>
public sealed partial class GatewayCall : IAsyncDisposable
{
    private const int TailChars = 512;
    private readonly ChatGateway gateway;
    private readonly Caller caller;
    private readonly PolicyScope scope;
    private readonly PolicyChain chain;
    private readonly DateTimeOffset started;
    private TokenUsage? usage;
    private long streamedChars;
    private bool billed;
    private bool finished;
    private int status = 200;
    private string? errorCode;
    private string? answeredModel;
    private int disposed;

    internal GatewayCall(ChatGateway gateway, Caller caller, PolicyScope scope, PolicyChain chain, JsonObject request, bool stream, bool clientWantsUsage, DateTimeOffset started)
    {
        this.gateway = gateway;
        this.caller = caller;
        this.scope = scope;
        this.chain = chain;
        this.started = started;
        Request = request;
        Stream = stream;
        ClientWantsUsage = clientWantsUsage;
    }

    public string RequestId => scope.RequestId;

    public string Model => scope.Model ?? "";

    public JsonObject Request { get; }

    public bool Stream { get; }

    public bool ClientWantsUsage { get; }

    /// <summary>The tokens held back from the caller's budget; settled with the real usage when the call is disposed.</summary>
    internal BudgetReservation? Reservation { get; set; }

    /// <summary>Marks the call failed (for the activity stream), e.g. when the surface answers an error.</summary>
    public void Fail(ApiProblem problem)
    {
        status = problem.Status;
        errorCode = problem.Code;
    }

    /// <summary>A completion that is not streamed, after the chain.</summary>
    public async Task<JsonObject> CompleteAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(gateway.Options.TimeoutSeconds));
        using var response = await SendAsync(timeout.Token, ct).ConfigureAwait(false);
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            throw Failed(e is OperationCanceledException ? GatewayProblems.Timeout("No complete answer in time.") : GatewayProblems.Interrupted(e.Message));
        }
        var body = Parse(text) ?? throw Failed(GatewayProblems.BadResponse("The answer is not a JSON object."));
        billed = true;
        answeredModel = (body["model"] as JsonValue)?.ToString();
        usage = ReadUsage(body["usage"]);
        var choice = GatewayJson.FirstChoice(body);
        var message = choice?["message"] as JsonObject;
        if (message?["content"] is JsonValue c && c.TryGetValue<string>(out var content))
        {
            streamedChars += content.Length;
            if (chain.Reviews(PolicyStage.Response))
            {
                var checkedText = await chain.OnResponseAsync(new ResponseText(content, "", IsDelta: false), ct).ConfigureAwait(false);
                if (checkedText.Action == PolicyAction.Block)
                {
                    throw Failed(GatewayProblems.PolicyBlocked(checkedText.Policy, checkedText.Reason));
                }
                message["content"] = checkedText.Text;
            }
        }
        if (message?["tool_calls"] is JsonArray calls)
        {
            streamedChars += calls.Sum(call => (call?["function"]?["arguments"] as JsonValue)?.ToString().Length ?? 0);
            if (chain.Reviews(PolicyStage.ToolCall))
            {
                await new ToolCallGate(chain.OnToolCallAsync).ReviewAnswerAsync(choice!, message, calls, ct).ConfigureAwait(false);
            }
        }
        return body;
    }

    /// <summary>The stream after the chain. Failures before the first chunk throw (the surface still answers JSON).</summary>
    public async IAsyncEnumerable<GatewayChunk> StreamAsync([EnumeratorCancellation] CancellationToken ct)
    {
        using var firstByte = CancellationTokenSource.CreateLinkedTokenSource(ct);
        firstByte.CancelAfter(TimeSpan.FromSeconds(gateway.Options.TimeoutSeconds));
        using var response = await SendAsync(firstByte.Token, ct).ConfigureAwait(false);
        billed = true;
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
        await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        // .NET's SSE parser: multi-line data, CRLF or LF, comments and event names as the spec says.
        await using var events = SseParser.Create(body).EnumerateAsync(idle.Token).GetAsyncEnumerator(idle.Token);

        var reviewText = chain.Reviews(PolicyStage.Response);
        var reviewTools = chain.Reviews(PolicyStage.ToolCall);
        var gate = new ToolCallGate(chain.OnToolCallAsync);
        var tail = new StringBuilder();
        GatewayChunk? usageChunk = null;
        while (true)
        {
            var (payload, failure) = await NextEventAsync(events, idle, ct).ConfigureAwait(false);
            if (failure is not null)
            {
                yield return new GatewayChunk(ChunkKind.Error, null, null, Failed(failure).Problem);
                yield break;
            }
            if (payload is null || payload == "[DONE]")
            {
                break;
            }
            var chunk = Parse(payload);
            if (chunk is null)
            {
                yield return new GatewayChunk(ChunkKind.Error, null, null, Failed(GatewayProblems.BadResponse("A chunk of the stream is not JSON.")).Problem);
                yield break;
            }
            if (chunk["error"] is JsonObject error)
            {
                yield return new GatewayChunk(ChunkKind.Error, null, null, Failed(UpstreamErrors.FromStreamError(error)).Problem);
                yield break;
            }
            answeredModel ??= (chunk["model"] as JsonValue)?.ToString();
            if (chunk["usage"] is JsonObject)
            {
                usage = ReadUsage(chunk["usage"]) ?? usage;
            }
            if (chunk["choices"] is not JsonArray { Count: > 0 } choices || choices[0] is not JsonObject choice)
            {
                if (chunk["usage"] is JsonObject)
                {
                    usageChunk = new GatewayChunk(ChunkKind.Usage, chunk, payload);
                }
                continue;
            }
            var delta = choice["delta"] as JsonObject;
            var finish = (choice["finish_reason"] as JsonValue)?.ToString();
            var modified = false;
            if (delta?["content"] is JsonValue cv && cv.TryGetValue<string>(out var content) && content.Length > 0)
            {
                streamedChars += content.Length;
                if (reviewText)
                {
                    var result = await chain.OnResponseAsync(new ResponseText(content, tail.ToString(), IsDelta: true), ct).ConfigureAwait(false);
                    if (result.Action == PolicyAction.Block)
                    {
                        yield return new GatewayChunk(ChunkKind.Error, null, null, Failed(GatewayProblems.PolicyBlocked(result.Policy, result.Reason)).Problem);
                        yield break;
                    }
                    if (result.Text != content)
                    {
                        delta["content"] = content = result.Text ?? "";
                        modified = true;
                    }
                }
                Append(tail, content);
            }
            if (delta?["tool_calls"] is JsonArray toolDeltas)
            {
                streamedChars += gate.Accumulate(toolDeltas);
                if (reviewTools)
                {
                    gate.Hold(chunk, payload);
                    if (finish is null)
                    {
                        continue;
                    }
                }
            }
            if (finish is not null)
            {
                finished = true;
                if (reviewTools && gate.HasCalls)
                {
                    foreach (var released in await gate.ReleaseAsync(chunk, ct).ConfigureAwait(false))
                    {
                        yield return released;
                    }
                    continue;
                }
            }
            yield return new GatewayChunk(ChunkKind.Data, chunk, modified ? null : payload);
        }
        if (!finished)
        {
            // Ended without a finish_reason: the connection closed early. Unreviewed tool calls are not released.
            yield return new GatewayChunk(ChunkKind.Error, null, null, Failed(GatewayProblems.Interrupted("The stream ended before the answer was complete.")).Problem);
            yield break;
        }
        if (usageChunk is not null)
        {
            yield return usageChunk;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }
        var partial = billed && usage is null; // upstream's usage is exact even if the client left before the end
        var tokens = usage ?? (billed ? Estimate() : null);
        try
        {
            // Not the request's token: a client that went away is still counted.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            if (tokens is not null)
            {
                var record = new UsageRecord
                {
                    Id = RequestId,
                    UserId = caller.UserId,
                    TenantId = caller.TenantId,
                    Model = answeredModel ?? Model,
                    Source = "gateway",
                    Usage = tokens,
                    Partial = partial,
                    At = started,
                };
                if (Reservation is { } reservation)
                {
                    record = await gateway.Budgets.SettleAsync(reservation, record, timeout.Token).ConfigureAwait(false);
                }
                await gateway.Ledger.RecordAsync(record, timeout.Token).ConfigureAwait(false);
            }
            else if (Reservation is { } unused)
            {
                await gateway.Budgets.ReleaseAsync(unused, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogUsageFailed(gateway.Logger, e, RequestId);
        }
        Telemetry.AgentsTelemetry.GatewayRequest(scope.Surface, answeredModel ?? Model, status, gateway.Clock.GetUtcNow() - started);
        gateway.Activity.Publish(new ActivityEvent
        {
            Type = status >= 400 ? ActivityTypes.Error : ActivityTypes.Request,
            Surface = scope.Surface,
            UserId = caller.UserId,
            RequestId = RequestId,
            Model = answeredModel ?? Model,
            Status = status,
            Code = errorCode,
            Stream = Stream,
            Partial = tokens is null ? null : partial,
            InputTokens = tokens?.InputTokens,
            OutputTokens = tokens?.OutputTokens,
            DurationMs = (long)(gateway.Clock.GetUtcNow() - started).TotalMilliseconds,
        });
    }

    /// <summary>
    /// Sends the request within the model retry policy (<see cref="ModelResilience"/>, shared with runs): transient
    /// answers are tried again before anything reached the client; the fallback deployment stands in only for the default one.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(CancellationToken timeout, CancellationToken ct)
    {
        var fallback = Model == gateway.Model.Deployment ? gateway.Model.FallbackDeployment : null;
        try
        {
            return await gateway.Resilience.ExecuteAsync(Model, fallback, async (deployment, token) =>
            {
                Request["model"] = deployment;
                HttpResponseMessage response;
                try
                {
                    response = await gateway.Upstream.SendChatAsync(Request, Stream, token).ConfigureAwait(false);
                }
                catch (HttpRequestException e)
                {
                    throw new ModelCallException(GatewayProblems.Unreachable(e.Message), transient: true, inner: e);
                }
                if (response.IsSuccessStatusCode)
                {
                    return response;
                }
                using (response)
                {
                    var status = (int)response.StatusCode;
                    var retryAfter = response.Headers.RetryAfter?.Delta;
                    var body = await response.Content.ReadAsStringAsync(token).ConfigureAwait(false);
                    throw new ModelCallException(UpstreamErrors.FromStatus(status, body, retryAfter), transient: status is 408 or 429 or >= 500, retryAfter, upstreamStatus: status);
                }
            }, timeout).ConfigureAwait(false);
        }
        catch (ModelCallException e)
        {
            throw Failed(e.Problem);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw Failed(GatewayProblems.Timeout($"No answer within {gateway.Options.TimeoutSeconds} s."));
        }
    }

    /// <summary>The data of the next event (null at the end of the stream), or why there is none: the idle timeout, a broken connection.</summary>
    private async Task<(string? Data, ApiProblem? Failure)> NextEventAsync(IAsyncEnumerator<SseItem<string>> events, CancellationTokenSource idle, CancellationToken ct)
    {
        idle.CancelAfter(TimeSpan.FromSeconds(gateway.Options.StreamIdleSeconds));
        try
        {
            return (await events.MoveNextAsync().ConfigureAwait(false) ? events.Current.Data : null, null);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (null, GatewayProblems.Timeout($"No chunk for {gateway.Options.StreamIdleSeconds} s."));
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is IOException or HttpRequestException)
        {
            return (null, GatewayProblems.Interrupted(e.Message));
        }
    }

    private ApiProblemException Failed(ApiProblem problem)
    {
        Fail(problem);
        return new ApiProblemException(problem);
    }

    private TokenUsage Estimate()
    {
        var input = (int)Math.Min(int.MaxValue, new PolicyRequest(Request).PromptTokens);
        return new TokenUsage(input, (int)Math.Min(int.MaxValue, TokenEstimate.Text(streamedChars)));
    }

    private static TokenUsage? ReadUsage(JsonNode? node)
    {
        if (node is not JsonObject u)
        {
            return null;
        }
        static int Int(JsonNode? n) => (int)(JsonNumber.Read(n) ?? 0);
        return new TokenUsage(Int(u["prompt_tokens"]), Int(u["completion_tokens"]), Int(u["prompt_tokens_details"]?["cached_tokens"]));
    }

    private static JsonObject? Parse(string text)
    {
        try
        {
            return JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void Append(StringBuilder tail, string text)
    {
        tail.Append(text);
        if (tail.Length > TailChars * 2)
        {
            tail.Remove(0, tail.Length - TailChars);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not record the usage of gateway request {RequestId}")]
    private static partial void LogUsageFailed(ILogger logger, Exception e, string requestId);
}
