using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Agents.Application.Streaming;

/// <summary>Deletes run events older than the retention period, hourly (in Azure the container's TTL does it too).</summary>
public sealed partial class EventRetentionWorker(RunEventLog log, StreamingOptions options, TimeProvider clock, ILogger<EventRetentionWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), clock);
        do
        {
            try
            {
                var deleted = await log.DeleteOlderThanAsync(clock.GetUtcNow().AddDays(-options.RetentionDays), stoppingToken).ConfigureAwait(false);
                if (deleted > 0)
                {
                    LogSwept(logger, deleted, options.RetentionDays);
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} event batches older than {Days} days")]
    private static partial void LogSwept(ILogger logger, int count, int days);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event retention sweep failed")]
    private static partial void LogFailed(ILogger logger, Exception e);
}
