namespace Agents.Application.Storage.Queues;

/// <summary>A message received from a queue. <see cref="PopReceipt"/> changes on every update.</summary>
public sealed record QueueMessage(
    string MessageId,
    string PopReceipt,
    int DequeueCount,
    string Body,
    DateTimeOffset InsertedOn,
    DateTimeOffset NextVisibleOn);
