using System.Net;
using Agents.Application.Storage.Cosmos;
using Azure.Storage.Queues;
using Microsoft.Azure.Cosmos;

namespace Agents.IntegrationTests;

/// <summary>The local stack is real: the Cosmos SDK, the queues as the app registers them and the PKCE flow against the emulators.</summary>
public sealed class LocalStackTests
{
    private sealed record Item(string Id, string Pk, int Rank, string Name);

    [Fact]
    public async Task Cosmos_OrderByQuery_PagesWithContinuationTokens_AndStaleETagGets412()
    {
        var stack = StackEnvironment.Current;
        using var cosmos = new CosmosDatabase(new CosmosOptions { Endpoint = stack.CosmosEndpoint, Key = stack.CosmosKey, Emulator = true, Database = "stack-" + Guid.NewGuid().ToString("N")[..8] }, null);
        await cosmos.EnsureCreatedAsync(CancellationToken.None);
        var container = new DocumentContainer(cosmos.Container(Containers.Threads));
        foreach (var rank in new[] { 5, 3, 9, 1, 7 })
        {
            await container.CreateAsync("p1", "item", new Item($"i{rank}", "p1", rank, $"n{rank}"), CancellationToken.None);
        }
        await container.CreateAsync("p2", "item", new Item("other", "p2", 4, "other partition"), CancellationToken.None);

        var ranks = new List<int>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await container.QueryPageAsync<Item>("p1", new QueryDefinition("SELECT * FROM c WHERE c.pk = 'p1' ORDER BY c.rank DESC"), 2, cursor, CancellationToken.None);
            ranks.AddRange(page.Items.Select(i => i.Rank));
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null && pages < 10);

        ranks.ShouldBe([9, 7, 5, 3, 1]);
        pages.ShouldBe(3);

        var stored = await container.ReadAsync<Item>("p1", "i5", CancellationToken.None);
        stored.ShouldNotBeNull();
        await container.ReplaceAsync("p1", "item", "i5", stored.Value with { Name = "first" }, stored.ETag, CancellationToken.None);
        var stale = await Should.ThrowAsync<CosmosException>(() =>
            container.ReplaceAsync("p1", "item", "i5", stored.Value with { Name = "second" }, stored.ETag, CancellationToken.None));
        stale.StatusCode.ShouldBe(HttpStatusCode.PreconditionFailed);
        (await container.ReadAsync<Item>("p1", "missing", CancellationToken.None)).ShouldBeNull();
    }

    [Fact]
    public async Task Queues_AsTheAppRegistersThem_SendBase64Text_TheTriggersRead_AndADelayedMessageToo()
    {
        var queue = TestQueues.For(StackEnvironment.Current.StorageConnection).GetQueueClient("stack-" + Guid.NewGuid().ToString("N")[..12]);
        await queue.CreateIfNotExistsAsync();
        await queue.SendMessageAsync("{\"hello\":\"wörld\"}");
        await queue.SendMessageAsync("delayed", TimeSpan.FromSeconds(30));

        (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount.ShouldBe(2);
        // What the Functions queue trigger reads: the text, base64-encoded in the message.
        var raw = new QueueClient(StackEnvironment.Current.StorageConnection, queue.Name);
        var received = (await raw.ReceiveMessageAsync()).Value;
        received.MessageText.ShouldBe(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("{\"hello\":\"wörld\"}")));
    }

    [Fact]
    public async Task OidcProvider_PkceFlow_GivesATokenTheApiAccepts_AndRefreshRotates()
    {
        var tokens = await LocalTokens.SignInAsync(StackEnvironment.Current.Issuer, "alice", "alice-pw");
        tokens.RefreshToken.ShouldNotBeNullOrEmpty();
        var refreshed = await LocalTokens.RefreshAsync(StackEnvironment.Current.Issuer, tokens.RefreshToken!);
        refreshed.AccessToken.ShouldNotBe(tokens.AccessToken);
        refreshed.RefreshToken.ShouldNotBe(tokens.RefreshToken);
        await Should.ThrowAsync<InvalidOperationException>(() => LocalTokens.RefreshAsync(StackEnvironment.Current.Issuer, tokens.RefreshToken!));
        await Should.ThrowAsync<InvalidOperationException>(() => LocalTokens.SignInAsync(StackEnvironment.Current.Issuer, "alice", "wrong"));
    }
}
