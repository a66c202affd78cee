using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;

namespace Agents.ModelSimulator.Completions;

/// <summary>
/// Streams a reply as server-sent events the way OpenAI does: role chunk, one chunk per delta, finish chunk,
/// optional usage chunk, <c>data: [DONE]</c>. Every chunk is flushed on its own so clients see real streaming.
/// </summary>
internal sealed class SseStreamWriter : IAsyncDisposable
{
    /// <summary>Characters per tool-argument delta: arguments arrive in fragments that split JSON anywhere, as OpenAI's do.</summary>
    public const int ArgumentFragmentLength = 8;

    private static readonly TimeSpan DrainBeforeDrop = TimeSpan.FromMilliseconds(50);

    private readonly HttpContext _context;
    private readonly PipeWriter _pipe;
    private readonly Utf8JsonWriter _json;
    private readonly CompletionHeader _header;
    private readonly bool _includeUsage;
    private readonly Pacing _pacing;
    private readonly TimeProvider _time;
    private readonly CancellationToken _cancellation;
    private int _deltas;

    private SseStreamWriter(HttpContext context, CompletionHeader header, bool includeUsage, Pacing pacing, TimeProvider time)
    {
        _context = context;
        _pipe = context.Response.BodyWriter;
        _json = new Utf8JsonWriter(_pipe, CompletionJson.WriterOptions);
        _header = header;
        _includeUsage = includeUsage;
        _pacing = pacing;
        _time = time;
        _cancellation = context.RequestAborted;
    }

    /// <summary>Streams the reply; returns false when <c>drop=</c> cut the connection.</summary>
    public static async Task<bool> StreamAsync(
        HttpContext context, CompletionHeader header, SimReply reply, TokenUsage usage, bool includeUsage, Pacing pacing, TimeProvider time)
    {
        var writer = new SseStreamWriter(context, header, includeUsage, pacing, time);
        await using (writer.ConfigureAwait(false))
        {
            return await writer.WriteAsync(reply, usage).ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => _json.DisposeAsync();

    private async Task<bool> WriteAsync(SimReply reply, TokenUsage usage)
    {
        var response = _context.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";

        // Headers go out at once, as a real server's do once it accepted the request; ttft delays the first chunk.
        await response.StartAsync(_cancellation).ConfigureAwait(false);
        await DelayAsync(_pacing.TimeToFirstToken).ConfigureAwait(false);

        if (reply is TextReply text)
        {
            await SendAsync(json => CompletionJson.WriteRoleChunk(json, _header, _includeUsage)).ConfigureAwait(false);
            foreach (var token in text.Tokens)
            {
                if (!await BeforeDeltaAsync().ConfigureAwait(false))
                {
                    return false;
                }

                await SendAsync(json => CompletionJson.WriteContentChunk(json, _header, _includeUsage, token)).ConfigureAwait(false);
            }
        }
        else if (reply is ToolCallsReply tools)
        {
            for (var index = 0; index < tools.Calls.Count; index++)
            {
                var call = tools.Calls[index];
                var callIndex = index;
                await SendAsync(json => CompletionJson.WriteToolCallStartChunk(json, _header, _includeUsage, callIndex, call)).ConfigureAwait(false);
                foreach (var fragment in Fragments(call.Arguments))
                {
                    if (!await BeforeDeltaAsync().ConfigureAwait(false))
                    {
                        return false;
                    }

                    await SendAsync(json => CompletionJson.WriteToolArgumentsChunk(json, _header, _includeUsage, callIndex, fragment)).ConfigureAwait(false);
                }
            }
        }

        // drop= larger than the reply still cuts the stream before it finishes: no finish chunk, no [DONE].
        if (_pacing.DropAfter is not null)
        {
            await DropAsync().ConfigureAwait(false);
            return false;
        }

        await SendAsync(json => CompletionJson.WriteFinishChunk(json, _header, _includeUsage, reply.FinishReason)).ConfigureAwait(false);
        if (_includeUsage)
        {
            await SendAsync(json => CompletionJson.WriteUsageChunk(json, _header, usage)).ConfigureAwait(false);
        }

        _pipe.Write("data: [DONE]\n\n"u8);
        await FlushAsync().ConfigureAwait(false);
        return true;
    }

    /// <summary>Applies drop= and tps= before each delta; false when the connection was cut.</summary>
    private async Task<bool> BeforeDeltaAsync()
    {
        if (_pacing.DropAfter == _deltas)
        {
            await DropAsync().ConfigureAwait(false);
            return false;
        }

        if (_deltas > 0)
        {
            await DelayAsync(_pacing.BetweenDeltas).ConfigureAwait(false);
        }

        _deltas++;
        return true;
    }

    /// <summary>
    /// Cuts the connection. Kestrel discards output its socket has not sent yet when a connection is aborted, so
    /// the chunks already flushed get a moment to leave first; otherwise the client might see none of them.
    /// </summary>
    private async Task DropAsync()
    {
        await DelayAsync(DrainBeforeDrop).ConfigureAwait(false);
        _context.Abort();
    }

    private async Task SendAsync(Action<Utf8JsonWriter> writeChunk)
    {
        _pipe.Write("data: "u8);
        _json.Reset(_pipe);
        writeChunk(_json);
        _json.Flush();
        _pipe.Write("\n\n"u8);
        await FlushAsync().ConfigureAwait(false);
    }

    private async Task FlushAsync()
    {
        var result = await _pipe.FlushAsync(_cancellation).ConfigureAwait(false);

        // A client that went away completes the pipe instead of failing the flush: stop writing into the void.
        if (result.IsCompleted || result.IsCanceled)
        {
            throw new OperationCanceledException("The client closed the stream.", _cancellation);
        }
    }

    private Task DelayAsync(TimeSpan delay) =>
        delay > TimeSpan.Zero ? Task.Delay(delay, _time, _cancellation) : Task.CompletedTask;

    private static IEnumerable<string> Fragments(string arguments)
    {
        for (var start = 0; start < arguments.Length;)
        {
            var length = Math.Min(ArgumentFragmentLength, arguments.Length - start);

            // Never split a surrogate pair: each fragment must be valid UTF-16 to be encoded as JSON.
            if (char.IsHighSurrogate(arguments[start + length - 1]) && start + length < arguments.Length)
            {
                length++;
            }

            yield return arguments.Substring(start, length);
            start += length;
        }
    }
}
