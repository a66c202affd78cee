using System.Net;
using Agents.Application.Storage.Cosmos;
using Microsoft.Azure.Cosmos;

namespace Agents.Application.Tests;

/// <summary>The one optimistic-concurrency loop: a lost race is tried again; the last loss is logged and thrown.</summary>
public sealed class OptimisticUpdatesTests
{
    private readonly RecordingLogger<OptimisticUpdates> logger = new();

    [Fact]
    public async Task LostRaces_AreTriedAgain_UntilTheWriteWins()
    {
        var attempts = 0;

        var result = await new OptimisticUpdates(logger).RunAsync("run r_1", _ =>
            ++attempts < 3 ? throw Lost(HttpStatusCode.PreconditionFailed) : Task.FromResult("written"), CancellationToken.None);

        result.ShouldBe("written");
        attempts.ShouldBe(3);
        logger.Messages.ShouldBeEmpty();
    }

    [Fact]
    public async Task EveryAttemptLost_IsLoggedOnce_AndTheConflictThrown()
    {
        var attempts = 0;

        var thrown = await Should.ThrowAsync<CosmosException>(() => new OptimisticUpdates(logger).RunAsync<int>("budget day 2026-12-03", _ =>
        {
            attempts++;
            throw Lost(HttpStatusCode.Conflict);
        }, CancellationToken.None, maxAttempts: 4));

        thrown.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        attempts.ShouldBe(4);
        logger.Messages.ShouldBe(["Gave up updating budget day 2026-12-03 after 4 attempts: other writers changed it first each time"]);
    }

    [Fact]
    public async Task OtherFailures_AreNotRetried()
    {
        var attempts = 0;

        await Should.ThrowAsync<CosmosException>(() => new OptimisticUpdates(logger).RunAsync<int>("thread t_1", _ =>
        {
            attempts++;
            throw Lost(HttpStatusCode.NotFound);
        }, CancellationToken.None));

        attempts.ShouldBe(1);
    }

    private static CosmosException Lost(HttpStatusCode status) => new("lost", status, 0, "activity", 1);
}
