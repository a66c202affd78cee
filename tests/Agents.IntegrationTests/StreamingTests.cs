using System.Net;
using System.Net.Http.Json;

namespace Agents.IntegrationTests;

/// <summary>Run events over SSE from the durable log: deltas, resume, late and remote subscribers, heartbeats, errors.</summary>
public sealed class StreamingTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private Api Alice => fixture.Alice;

    [Fact]
    public async Task PostWithStream_StreamsTheRun_AndDeltasConcatenateToTheStoredMessage()
    {
        var thread = await Alice.CreateThreadAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/threads/{thread}/runs")
        {
            Content = JsonContent.Create(new { message = "stream [[sim tokens=60 tps=200]]", stream = true }),
        };
        using var response = await Alice.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        response.Headers.CacheControl!.NoCache.ShouldBeTrue();

        var events = await ReadAllAsync(response);
        events[0].Type.ShouldBe("run.created");
        events[^1].Type.ShouldBe("done");
        events.Select(e => e.Id!.Value).ShouldBeInOrder(SortDirection.Ascending);
        events.Select(e => e.Id).Distinct().Count().ShouldBe(events.Count);
        var streamed = string.Concat(events.Where(e => e.Type == "message.delta").Select(e => e.Json["text"]!.GetValue<string>()));

        var stored = (await Alice.MessagesAsync(thread)).Single(m => m!["role"]!.GetValue<string>() == "assistant")!;
        streamed.ShouldBe(stored["content"]!.GetValue<string>());
        streamed.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(60);
        events.Single(e => e.Type == "message.completed").Json["content"]!.GetValue<string>().ShouldBe(streamed);
    }

    [Fact]
    public async Task Resume_WithLastEventId_GivesExactlyTheMissingEvents()
    {
        var thread = await Alice.CreateThreadAsync();
        var run = await Alice.StartRunAsync(thread, "resume [[sim tokens=40 tps=40]]");

        var firstPart = new List<SseEvent>();
        using (var first = await Sse.OpenAsync(Alice.Http, thread, run))
        {
            await foreach (var e in Sse.ReadAsync(await first.Content.ReadAsStreamAsync()))
            {
                if (e.Comment is null)
                {
                    firstPart.Add(e);
                }
                if (firstPart.Count(x => x.Type == "message.delta") == 10)
                {
                    break; // the client drops the connection mid-stream
                }
            }
        }
        await Alice.WaitRunAsync(thread, run);

        using var resumed = await Sse.OpenAsync(Alice.Http, thread, run, firstPart[^1].Id);
        var rest = await ReadAllAsync(resumed);
        using var whole = await Sse.OpenAsync(Alice.Http, thread, run);
        var all = await ReadAllAsync(whole);

        rest.ShouldNotBeEmpty();
        rest[0].Id!.Value.ShouldBeGreaterThan(firstPart[^1].Id!.Value);
        firstPart.Concat(rest).Select(e => (e.Id, e.Type, e.Data)).ShouldBe(all.Select(e => (e.Id, e.Type, e.Data)));

        var viaQuery = await Alice.Http.GetAsync($"/api/v1/threads/{thread}/runs/{run}/events?lastEventId={all[^2].Id}", HttpCompletionOption.ResponseHeadersRead);
        (await ReadAllAsync(viaQuery)).Select(e => e.Type).ShouldBe(["done"]);
    }

    [Fact]
    public async Task JoiningOrResumingMidRun_GetsEveryDeltaOnce_InOrder()
    {
        // Deltas reach subscribers in-process before they are durable (in batches of up to 250 ms): a stream that joins
        // between the two must neither skip the not-yet-durable ones nor repeat any.
        var thread = await Alice.CreateThreadAsync();
        var run = await Alice.StartRunAsync(thread, "midway [[sim tokens=40 tps=10]]");
        var firstPart = new List<SseEvent>();
        using (var first = await Sse.OpenAsync(Alice.Http, thread, run))
        {
            await foreach (var e in Sse.ReadAsync(await first.Content.ReadAsStreamAsync()))
            {
                if (e.Comment is null)
                {
                    firstPart.Add(e);
                }
                if (firstPart.Count(x => x.Type == "message.delta") == 8)
                {
                    break; // the client drops the connection while the model is still answering
                }
            }
        }
        var resumed = Task.Run(async () => await ReadAllAsync(await Sse.OpenAsync(Alice.Http, thread, run, firstPart[^1].Id)));
        var joined = Task.Run(async () => await ReadAllAsync(await Sse.OpenAsync(Alice.Http, thread, run)));
        var rest = await resumed;
        var late = await joined;

        var resumedAll = firstPart.Concat(rest).ToList();
        foreach (var stream in new[] { resumedAll, late })
        {
            stream.Select(e => e.Id!.Value).ShouldBeInOrder(SortDirection.Ascending);
            stream.Select(e => e.Id).Distinct().Count().ShouldBe(stream.Count);
            stream.Count(e => e.Type == "message.delta").ShouldBe(40);
        }
        rest.Count(e => e.Type == "message.delta").ShouldBeGreaterThan(0, "the resume happened mid-run");
        using var whole = await Sse.OpenAsync(Alice.Http, thread, run);
        var durable = (await ReadAllAsync(whole)).Select(e => (e.Id, e.Type, e.Data)).ToList();
        late.Select(e => (e.Id, e.Type, e.Data)).ShouldBe(durable);
        resumedAll.Select(e => (e.Id, e.Type, e.Data)).ShouldBe(durable);
    }

    [Fact]
    public async Task SubscriberOnAnotherHostProcess_SeesTheSameEvents()
    {
        // A second Functions host on the same storage: the run's steps execute on either; both serve the same stream.
        await using var other = await HostProcess.StartAsync(fixture.HostSettings);
        using var remote = new Api(other.CreateClient(await LocalTokens.AccessTokenAsync("alice")));
        var thread = await Alice.CreateThreadAsync();
        var run = await Alice.StartRunAsync(thread, "remote [[sim tokens=30 tps=30]]");

        // The second host joining takes over some of the task hub's partitions; a control-queue message the first host
        // had fetched from a partition it hands over comes back only after its visibility timeout (1 min in tests, 5 in
        // Azure), so a run caught by the move can pause that long. Hence the longer bound here.
        var bound = TimeSpan.FromSeconds(180);
        var localTask = Task.Run(async () => await ReadAllAsync(await Sse.OpenAsync(Alice.Http, thread, run), bound));
        var remoteTask = Task.Run(async () => await ReadAllAsync(await Sse.OpenAsync(remote.Http, thread, run), bound));
        List<SseEvent> local, far;
        try
        {
            local = await localTask;
            far = await remoteTask;
        }
        catch (OperationCanceledException e)
        {
            throw new TimeoutException($"A stream did not end within {bound.TotalSeconds} s.\n{fixture.Host.OutputAbout(run)}\n{other.OutputAbout(run)}", e);
        }

        far.Select(e => (e.Id, e.Type, e.Data)).ShouldBe(local.Select(e => (e.Id, e.Type, e.Data)));
        far.Count(e => e.Type == "message.delta").ShouldBe(30);
    }

    [Fact]
    public async Task Heartbeats_ArriveWhileTheModelIsSlow()
    {
        var thread = await Alice.CreateThreadAsync();
        var run = await Alice.StartRunAsync(thread, "slow start [[sim ttft=3500 tokens=3]]");
        using var response = await Sse.OpenAsync(Alice.Http, thread, run);
        var beforeFirstDelta = 0;
        await foreach (var e in Sse.ReadAsync(await response.Content.ReadAsStreamAsync()))
        {
            if (e.Type == "message.delta")
            {
                break;
            }
            if (e.Comment == "keep-alive")
            {
                beforeFirstDelta++;
            }
        }
        beforeFirstDelta.ShouldBeGreaterThanOrEqualTo(2); // one a second (Streaming:HeartbeatSeconds=1 in tests)
    }

    [Fact]
    public async Task ModelError_ArrivesAsAnErrorEvent_InTheProblemDetailsShape_ThenTheStreamCloses()
    {
        var thread = await Alice.CreateThreadAsync();
        var run = await Alice.StartRunAsync(thread, "fail [[sim error=400]]");
        var events = await ReadAllAsync(await Sse.OpenAsync(Alice.Http, thread, run));

        var error = events.Single(e => e.Type == "error").Json;
        error["status"]!.GetValue<int>().ShouldBe(502);
        error["code"]!.GetValue<string>().ShouldBe("model_rejected_request");
        error["type"]!.GetValue<string>().ShouldBe("https://agents.dev/problems/model-rejected-request");
        error["title"].ShouldNotBeNull();
        events[^1].Type.ShouldBe("done");
        events[^1].Json["status"]!.GetValue<string>().ShouldBe("failed");
    }

    [Fact]
    public async Task Disconnecting_DoesNotCancelTheRun()
    {
        var thread = await Alice.CreateThreadAsync();
        using (var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/threads/{thread}/runs") { Content = JsonContent.Create(new { message = "go on [[sim tokens=20 tps=20]]", stream = true }) })
        using (var response = await Alice.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            var stream = await response.Content.ReadAsStreamAsync();
            var buffer = new byte[256];
            _ = await stream.ReadAsync(buffer);
        }
        var runs = await Alice.GetAsync($"/api/v1/threads/{thread}");
        var runId = runs.Body!["activeRunId"]!.GetValue<string>();
        (await Alice.WaitRunAsync(thread, runId))["status"]!.GetValue<string>().ShouldBe("completed");
    }

    private static async Task<List<SseEvent>> ReadAllAsync(HttpResponseMessage response, TimeSpan? bound = null)
    {
        using var timeout = new CancellationTokenSource(bound ?? TimeSpan.FromSeconds(60));
        var events = new List<SseEvent>();
        await foreach (var e in Sse.ReadAsync(await response.Content.ReadAsStreamAsync(timeout.Token), timeout.Token))
        {
            if (e.Comment is null)
            {
                events.Add(e);
            }
        }
        response.Dispose();
        return events;
    }
}
