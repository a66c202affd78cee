using System.Diagnostics;
using OpenAI.Chat;

namespace Agents.ModelSimulator.Tests;

/// <summary>Delays are asserted as lower bounds only: a loaded machine may be slower, never faster.</summary>
public sealed class PacingTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    [Fact]
    public async Task Ttft_Streaming_DelaysTheFirstContentUpdate()
    {
        var stopwatch = Stopwatch.StartNew();
        TimeSpan? firstToken = null;

        await foreach (var update in sim.Chat().CompleteChatStreamingAsync([new UserChatMessage("[[sim ttft=300 tokens=3]]")]))
        {
            if (firstToken is null && update.ContentUpdate.Any(p => p.Text.Length > 0))
            {
                firstToken = stopwatch.Elapsed;
            }
        }

        firstToken.ShouldNotBeNull().ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(280));
    }

    [Fact]
    public async Task Ttft_NonStreaming_DelaysTheResponse()
    {
        var stopwatch = Stopwatch.StartNew();

        await sim.Chat().CompleteChatAsync([new UserChatMessage("[[sim ttft=250]]")]);

        stopwatch.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(230));
    }

    [Fact]
    public async Task Tps_PacesStreamedDeltas()
    {
        // 6 tokens at 20/s: 5 gaps of 50 ms after the first token. Measured from the request, not from the first
        // arrival: a busy client may read the first token late and the rest in one go.
        var arrivals = new List<TimeSpan>();
        var stopwatch = Stopwatch.StartNew();

        await foreach (var update in sim.Chat().CompleteChatStreamingAsync([new UserChatMessage("[[sim tokens=6 tps=20]]")]))
        {
            if (update.ContentUpdate.Any(p => p.Text.Length > 0))
            {
                arrivals.Add(stopwatch.Elapsed);
            }
        }

        arrivals.Count.ShouldBe(6);
        arrivals[^1].ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(240));
    }
}
