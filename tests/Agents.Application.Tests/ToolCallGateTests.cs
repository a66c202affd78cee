using System.Text.Json.Nodes;
using Agents.Application.Gateway;
using Agents.Application.Policies;

namespace Agents.Application.Tests;

/// <summary>The gateway's tool-call stage on its own: what a stream releases and an answer keeps when a call is blocked.</summary>
public sealed class ToolCallGateTests
{
    private readonly List<string> reviewed = [];

    /// <summary>Blocks the tool named "wipe", passes any other, and notes each call it reviewed.</summary>
    private Task<ChainResult> Review(ProposedToolCall call, CancellationToken ct)
    {
        reviewed.Add($"{call.Id}:{call.Name}:{call.Arguments}");
        return Task.FromResult(call.Name == "wipe" ? new ChainResult(PolicyAction.Block, "destructive", "tool-judge") : ChainResult.Passed);
    }

    [Fact]
    public async Task Stream_WithEveryCallPassing_ReleasesTheHeldChunksUnchanged_WithTheirRawText()
    {
        var gate = new ToolCallGate(Review);
        var first = Chunk("""{"tool_calls":[{"index":0,"id":"c1","function":{"name":"calc","arguments":"{\"x\":"}}]}""");
        var second = Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]}""");
        var finish = Chunk("{}", "tool_calls");
        foreach (var chunk in new[] { first, second })
        {
            gate.Accumulate((JsonArray)chunk["choices"]![0]!["delta"]!["tool_calls"]!);
            gate.Hold(chunk, chunk.ToJsonString());
        }

        var released = await gate.ReleaseAsync(finish, CancellationToken.None);

        reviewed.ShouldBe(["c1:calc:{\"x\":1}"]);
        released.Select(c => c.Raw).ShouldBe([first.ToJsonString(), second.ToJsonString(), null]);
        released[^1].Json.ShouldBeSameAs(finish);
    }

    [Fact]
    public async Task Stream_WithOneOfTwoCallsBlocked_ReleasesTheOtherRenumbered_AndExplainsTheRefusal()
    {
        var gate = new ToolCallGate(Review);
        var calls = Chunk("""{"tool_calls":[{"index":0,"id":"c1","function":{"name":"wipe","arguments":"{}"}},{"index":1,"id":"c2","function":{"name":"calc","arguments":"{}"}}]}""");
        gate.Accumulate((JsonArray)calls["choices"]![0]!["delta"]!["tool_calls"]!).ShouldBe(4);
        gate.Hold(calls, calls.ToJsonString());
        var finish = Chunk("{}", "tool_calls");

        var released = await gate.ReleaseAsync(finish, CancellationToken.None);

        released.Count.ShouldBe(3);
        released.ShouldAllBe(c => c.Raw == null); // changed, so re-encoded
        var kept = released[0].Json!["choices"]![0]!["delta"]!["tool_calls"]!.AsArray();
        kept.Count.ShouldBe(1);
        kept[0]!["id"]!.GetValue<string>().ShouldBe("c2");
        kept[0]!["index"]!.GetValue<int>().ShouldBe(0);
        released[1].Json!["choices"]![0]!["delta"]!["content"]!.GetValue<string>()
            .ShouldBe("The call to the tool 'wipe' was blocked by policy 'tool-judge': destructive");
        released[2].Json!["choices"]![0]!["finish_reason"]!.GetValue<string>().ShouldBe("tool_calls"); // one call remains
    }

    [Fact]
    public async Task Answer_WithItsOnlyCallBlocked_LosesTheCall_SaysWhy_AndStops()
    {
        var choice = JsonNode.Parse("""
            {"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":"Sure.","tool_calls":[
              {"id":"c1","type":"function","function":{"name":"wipe","arguments":"{\"disk\":\"C\"}"}}]}}
            """)!.AsObject();
        var message = choice["message"]!.AsObject();

        await new ToolCallGate(Review).ReviewAnswerAsync(choice, message, message["tool_calls"]!.AsArray(), CancellationToken.None);

        reviewed.ShouldBe(["c1:wipe:{\"disk\":\"C\"}"]);
        message.ContainsKey("tool_calls").ShouldBeFalse();
        message["content"]!.GetValue<string>().ShouldBe("Sure.\nThe call to the tool 'wipe' was blocked by policy 'tool-judge': destructive");
        choice["finish_reason"]!.GetValue<string>().ShouldBe("stop");
    }

    private static JsonObject Chunk(string delta, string? finish = null) => new()
    {
        ["id"] = "chatcmpl-1",
        ["object"] = "chat.completion.chunk",
        ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = JsonNode.Parse(delta), ["finish_reason"] = finish }),
    };
}
