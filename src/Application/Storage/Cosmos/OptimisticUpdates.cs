using System.Net;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Logging;

namespace Agents.Application.Storage.Cosmos;

/// <summary>
/// The one retry loop for optimistic concurrency: an attempt reads a document, decides, and writes it conditionally
/// (an ETag match, or a create); when another writer got there first (412, or 409 on a create) it is run again, after
/// a short random pause so that racers spread out. Giving up is the same everywhere: after the last attempt the loss
/// is logged and the 412/409 thrown, which the HTTP edge answers as 409 <c>concurrent_update</c> and a queue or
/// activity retries.
/// </summary>
public sealed partial class OptimisticUpdates(ILogger<OptimisticUpdates> logger)
{
    public const int DefaultAttempts = 10;

    /// <param name="what">What is updated, for the log (e.g. "run r_1"): no user content.</param>
    /// <param name="attempt">Reads, decides and writes conditionally; its result is returned.</param>
    /// <param name="ct">Cancels the attempts and the pauses between them.</param>
    /// <param name="maxAttempts">How many attempts before giving up.</param>
    public async Task<T> RunAsync<T>(string what, Func<CancellationToken, Task<T>> attempt, CancellationToken ct, int maxAttempts = DefaultAttempts)
    {
        for (var n = 1; ; n++)
        {
            try
            {
                return await attempt(ct).ConfigureAwait(false);
            }
            catch (CosmosException e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict)
            {
                if (n >= maxAttempts)
                {
                    LogGaveUp(logger, what, n);
                    throw;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 2 + (Math.Min(n, 10) * 3))), ct).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gave up updating {What} after {Attempts} attempts: other writers changed it first each time")]
    private static partial void LogGaveUp(ILogger logger, string what, int attempts);
}
