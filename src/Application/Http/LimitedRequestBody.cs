using System.Buffers;
using Agents.Domain.Errors;

namespace Agents.Application.Http;

/// <summary>
/// A request body of unknown length (chunked) held to the limit. Reading past the limit first drains what the client
/// still sends, up to <see cref="DrainLimit"/>, and then throws the 413: the Functions host forwards a request's body
/// to this worker while the worker answers, and a body left half-sent made the host drop our answer for an empty 500.
/// Past the drain limit the worker's Kestrel stops reading (its MaxRequestBodySize), and such a client may get no answer.
/// <see cref="DrainAsync(Stream, long, CancellationToken)"/> does the same for a declared length over the limit.
/// </summary>
internal sealed class LimitedRequestBody(Stream inner, long limit) : Stream
{
    private long read;

    /// <summary>How much of a body over the limit is read and thrown away so that its answer arrives.</summary>
    public static long DrainLimit(long limit) => Math.Max(4 * limit, 8 * 1024 * 1024);

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => read; set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var count = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        read += count;
        if (read > limit)
        {
            await DrainAsync(cancellationToken).ConfigureAwait(false);
            throw new ApiProblemException(Problems.BodyTooLarge(limit));
        }
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private async Task DrainAsync(CancellationToken ct) => read += await DrainAsync(inner, DrainLimit(limit) - read, ct).ConfigureAwait(false);

    /// <summary>Reads and drops up to <paramref name="max"/> bytes of <paramref name="body"/>; returns how many.</summary>
    public static async Task<long> DrainAsync(Stream body, long max, CancellationToken ct)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            long drained = 0;
            int count;
            while (drained < max && (count = await body.ReadAsync(scratch, ct).ConfigureAwait(false)) > 0)
            {
                drained += count;
            }
            return drained;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }
}
