using System.Text.Json;

namespace Agents.ModelSimulator.Tests;

/// <summary>The SSE stream as bytes on the wire, checked against the shape OpenAI sends.</summary>
public sealed class StreamingWireTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    [Fact]
    public async Task Stream_WithIncludeUsage_EndsWithUsageChunk()
    {
        const string prompt = "Stream please [[sim tokens=4]]";
        using var response = await sim.PostChatAsync(SimulatorFixture.UserRequest(prompt, stream: true, includeUsage: true));

        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        var events = SimulatorFixture.ParseSse(await response.Content.ReadAsStringAsync());

        // role chunk, 4 content chunks, finish chunk, usage chunk, [DONE]
        events.Count.ShouldBe(8);
        events[^1].ShouldBeNull();
        var chunks = events.Take(7).Select(e => e!.Value).ToList();
        chunks.ShouldAllBe(c => c.GetProperty("object").GetString() == "chat.completion.chunk");
        chunks.Select(c => c.GetProperty("id").GetString()).Distinct().ShouldHaveSingleItem();

        var roleDelta = Delta(chunks[0]);
        roleDelta.GetProperty("role").GetString().ShouldBe("assistant");
        roleDelta.GetProperty("content").GetString().ShouldBe("");

        var contents = chunks.Skip(1).Take(4).Select(c => Delta(c).GetProperty("content").GetString()).ToList();
        contents.ShouldAllBe(c => c!.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 1);

        var finish = chunks[5].GetProperty("choices")[0];
        finish.GetProperty("finish_reason").GetString().ShouldBe("stop");
        finish.GetProperty("delta").EnumerateObject().ShouldBeEmpty();
        chunks[5].GetProperty("usage").ValueKind.ShouldBe(JsonValueKind.Null);

        var usageChunk = chunks[6];
        usageChunk.GetProperty("choices").GetArrayLength().ShouldBe(0);
        var usage = usageChunk.GetProperty("usage");
        usage.GetProperty("completion_tokens").GetInt32().ShouldBe(4);
        usage.GetProperty("prompt_tokens").GetInt32().ShouldBe(SimulatorFixture.PromptTokensForOneUserMessage(prompt));
        usage.GetProperty("total_tokens").GetInt32().ShouldBe(usage.GetProperty("prompt_tokens").GetInt32() + 4);
    }

    [Fact]
    public async Task Stream_WithoutIncludeUsage_SendsNoUsageAtAll()
    {
        using var response = await sim.PostChatAsync(SimulatorFixture.UserRequest("[[sim tokens=3]]", stream: true, includeUsage: false));

        var events = SimulatorFixture.ParseSse(await response.Content.ReadAsStringAsync());

        events.Count.ShouldBe(1 + 3 + 1 + 1);
        events[^1].ShouldBeNull();
        events.Take(5).ShouldAllBe(e => e!.Value.EnumerateObject().All(p => p.Name != "usage"));
    }

    [Fact]
    public async Task Stream_CompletionTokens_EqualNumberOfContentChunks()
    {
        using var response = await sim.PostChatAsync(SimulatorFixture.UserRequest("Hi [[sim reply=\"one two  three\nfour\"]]", stream: true, includeUsage: true));

        var chunks = SimulatorFixture.ParseSse(await response.Content.ReadAsStringAsync()).OfType<JsonElement>().ToList();
        var contents = chunks
            .Where(c => c.GetProperty("choices").GetArrayLength() == 1 && Delta(c).TryGetProperty("content", out var content) && content.GetString()!.Length > 0)
            .Select(c => Delta(c).GetProperty("content").GetString())
            .ToList();

        contents.ShouldBe(["one ", "two  ", "three\n", "four"]);
        chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32().ShouldBe(contents.Count);
    }

    [Fact]
    public async Task Stream_ToolCall_SendsIdTypeNameThenArgumentFragments()
    {
        var request = SimulatorFixture.UserRequest("""Go [[sim tool=lookup args='{"query":"simulator tokens"}']]""", stream: true, includeUsage: true);
        using var response = await sim.PostChatAsync(request);

        var chunks = SimulatorFixture.ParseSse(await response.Content.ReadAsStringAsync()).OfType<JsonElement>().ToList();

        var first = Delta(chunks[0]);
        first.GetProperty("role").GetString().ShouldBe("assistant");
        first.GetProperty("content").ValueKind.ShouldBe(JsonValueKind.Null);
        var opening = first.GetProperty("tool_calls")[0];
        opening.GetProperty("index").GetInt32().ShouldBe(0);
        opening.GetProperty("id").GetString().ShouldStartWith("call_");
        opening.GetProperty("type").GetString().ShouldBe("function");
        opening.GetProperty("function").GetProperty("name").GetString().ShouldBe("lookup");
        opening.GetProperty("function").GetProperty("arguments").GetString().ShouldBe("");

        var fragments = chunks.Skip(1)
            .Where(c => c.GetProperty("choices").GetArrayLength() == 1 && Delta(c).TryGetProperty("tool_calls", out _))
            .Select(c => Delta(c).GetProperty("tool_calls")[0])
            .ToList();
        fragments.Count.ShouldBeGreaterThan(1);
        fragments.ShouldAllBe(f => f.EnumerateObject().All(p => p.Name != "id") && f.GetProperty("index").GetInt32() == 0);
        string.Concat(fragments.Select(f => f.GetProperty("function").GetProperty("arguments").GetString()))
            .ShouldBe("""{"query":"simulator tokens"}""");

        chunks[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString().ShouldBe("tool_calls");
        chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32().ShouldBe(10);
    }

    private static JsonElement Delta(JsonElement chunk) => chunk.GetProperty("choices")[0].GetProperty("delta");
}
