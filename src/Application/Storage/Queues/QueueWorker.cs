using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Agents.Application.Storage.Queues;

/// <summary>What to do with a message once its handler returns.</summary>
public abstract record QueueOutcome
{
    /// <summary>Handled: delete it.</summary>
    public static readonly QueueOutcome Done = new DoneOutcome();

    /// <summary>Not now: make it visible again after <paramref name="delay"/> (it keeps its dequeue count).</summary>
    public static QueueOutcome RetryAfter(TimeSpan delay) => new RetryOutcome(delay);

    internal sealed record DoneOutcome : QueueOutcome;

    internal sealed record RetryOutcome(TimeSpan Delay) : QueueOutcome;
}

/// <summary>A received message, kept invisible while its handler works.</summary>
public sealed class MessageHold(StorageQueueClient client, string queue, QueueMessage message)
{
    public QueueMessage Message { get; private set; } = message;

    public async Task ExtendAsync(TimeSpan visibility, CancellationToken ct) =>
        Message = await client.UpdateVisibilityAsync(queue, Message, visibility, ct).ConfigureAwait(false);
}

/// <summary>
/// Polls a queue like the Functions queue trigger does: receive a batch, run handlers concurrently (bounded), keep each
/// message invisible while it is handled, back off when the queue is empty, and move a message that failed
/// <see cref="QueueOptions.MaxDequeueCount"/> times to the poison queue (after telling the handler, so nothing is lost
/// silently). A crashed process simply stops extending: its messages reappear for the next worker.
/// </summary>
public abstract partial class QueueWorker(StorageQueueClient client, QueueOptions options, ILogger logger) : BackgroundService
{
    protected abstract string QueueName { get; }

    protected StorageQueueClient Client => client;

    /// <summary>The full name of this worker's queue (with the configured prefix).</summary>
    protected string Queue => options.QueuePrefix + QueueName;

    protected virtual int MaxConcurrency => 8;

    protected TimeSpan Visibility => TimeSpan.FromSeconds(options.VisibilityTimeoutSeconds);


    protected abstract Task<QueueOutcome> HandleAsync(MessageHold hold, CancellationToken ct);

    /// <summary>Called once before a message goes to the poison queue.</summary>
    protected abstract Task OnPoisonAsync(QueueMessage message, CancellationToken ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await client.CreateIfNotExistsAsync(Queue, stoppingToken).ConfigureAwait(false);
        await client.CreateIfNotExistsAsync(QueueNames.Poison(Queue), stoppingToken).ConfigureAwait(false);
        using var slots = new SemaphoreSlim(MaxConcurrency);
        var idle = TimeSpan.FromMilliseconds(50);
        var inFlight = new HashSet<Task>();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await slots.WaitAsync(stoppingToken).ConfigureAwait(false);
                var free = slots.CurrentCount + 1;
                IReadOnlyList<QueueMessage> batch;
                try
                {
                    batch = await client.ReceiveMessagesAsync(Queue, free, Visibility, stoppingToken).ConfigureAwait(false);
                }
                finally
                {
                    slots.Release();
                }
                if (batch.Count == 0)
                {
                    await client.Signals.WaitAsync(Queue, idle, stoppingToken).ConfigureAwait(false);
                    idle = TimeSpan.FromMilliseconds(Math.Min(idle.TotalMilliseconds * 2, options.MaxPollIntervalMilliseconds));
                    continue;
                }
                idle = TimeSpan.FromMilliseconds(50);
                foreach (var message in batch)
                {
                    await slots.WaitAsync(stoppingToken).ConfigureAwait(false);
                    var task = ProcessAsync(message, slots, stoppingToken);
                    lock (inFlight)
                    {
                        inFlight.Add(task);
                    }
                    _ = task.ContinueWith(t => { lock (inFlight) { inFlight.Remove(t); } }, TaskScheduler.Default);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                LogPollFailed(logger, e, Queue);
                await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None).ConfigureAwait(false);
            }
        }
        Task[] remaining;
        lock (inFlight)
        {
            remaining = [.. inFlight];
        }
        await Task.WhenAll(remaining).ConfigureAwait(false);
    }

    private async Task ProcessAsync(QueueMessage message, SemaphoreSlim slots, CancellationToken stoppingToken)
    {
        var hold = new MessageHold(client, Queue, message);
        try
        {
            if (message.DequeueCount > options.MaxDequeueCount)
            {
                try
                {
                    await OnPoisonAsync(message, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The message goes to the poison queue all the same: a broken message must not circulate forever.
                    LogHandlerFailed(logger, e, Queue, message.MessageId, message.DequeueCount);
                }
                await client.SendMessageAsync(QueueNames.Poison(Queue), message.Body, ct: stoppingToken).ConfigureAwait(false);
                await client.DeleteMessageAsync(Queue, hold.Message, stoppingToken).ConfigureAwait(false);
                LogPoisoned(logger, Queue, message.MessageId, message.DequeueCount);
                return;
            }
            var outcome = await HandleAsync(hold, stoppingToken).ConfigureAwait(false);
            if (outcome is QueueOutcome.RetryOutcome retry)
            {
                await hold.ExtendAsync(retry.Delay, stoppingToken).ConfigureAwait(false);
            }
            else
            {
                await client.DeleteMessageAsync(Queue, hold.Message, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the message reappears when its invisibility ends and is handled again.
        }
        catch (Exception e)
        {
            LogHandlerFailed(logger, e, Queue, message.MessageId, message.DequeueCount);
            try
            {
                // Retry sooner than the full visibility timeout, backing off with the number of attempts.
                await hold.ExtendAsync(TimeSpan.FromSeconds(Math.Min(30, 1 << Math.Min(message.DequeueCount, 5))), stoppingToken).ConfigureAwait(false);
            }
            catch (Exception extendFailure) when (extendFailure is not OperationCanceledException)
            {
                LogHandlerFailed(logger, extendFailure, Queue, message.MessageId, message.DequeueCount);
            }
        }
        finally
        {
            slots.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Polling queue {Queue} failed")]
    private static partial void LogPollFailed(ILogger logger, Exception e, string queue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handling message {MessageId} of queue {Queue} failed (attempt {Attempt})")]
    private static partial void LogHandlerFailed(ILogger logger, Exception e, string queue, string messageId, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Message {MessageId} of queue {Queue} moved to the poison queue after {Attempts} attempts")]
    private static partial void LogPoisoned(ILogger logger, string queue, string messageId, int attempts);
}
