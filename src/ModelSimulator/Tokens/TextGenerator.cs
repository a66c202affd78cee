using System.Buffers.Binary;

namespace Agents.ModelSimulator.Tokens;

/// <summary>Produces a plain answer of an exact number of word tokens, chosen from a seed so equal requests get equal text.</summary>
internal static class TextGenerator
{
    // 64 words so a 6-bit slice of the generator's state picks one without bias.
    private static readonly string[] Vocabulary =
    [
        "agent", "azure", "batch", "cloud", "cosmos", "data", "event", "fabric",
        "graph", "host", "index", "job", "kernel", "lease", "model", "node",
        "orbit", "plan", "queue", "route", "signal", "table", "token", "update",
        "vector", "worker", "yield", "zone", "alpha", "bravo", "charlie", "delta",
        "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima",
        "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango",
        "uniform", "victor", "whiskey", "xray", "yankee", "zulu", "amber", "basalt",
        "cedar", "dune", "ember", "fjord", "glacier", "harbor", "island", "jade",
    ];

    /// <summary>Words separated by single spaces, the last one ending with a full stop, e.g. "queue echo lima."</summary>
    public static List<string> Generate(ReadOnlySpan<byte> seed, int count)
    {
        var state = BinaryPrimitives.ReadUInt64LittleEndian(seed);
        var tokens = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var word = Vocabulary[(int)(NextSplitMix64(ref state) >> 58)];
            tokens.Add(i == count - 1 ? word + "." : word + " ");
        }

        return tokens;
    }

    // SplitMix64: tiny, well distributed, and identical on every platform and runtime (unlike System.Random).
    private static ulong NextSplitMix64(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
