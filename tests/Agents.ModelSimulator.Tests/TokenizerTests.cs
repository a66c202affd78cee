using Agents.ModelSimulator.Tokens;

namespace Agents.ModelSimulator.Tests;

public sealed class TokenizerTests
{
    [Theory]
    [InlineData("", new string[0])]
    [InlineData("one", new[] { "one" })]
    [InlineData("one two", new[] { "one ", "two" })]
    [InlineData("  lead  and trail ", new[] { "  lead  ", "and ", "trail " })]
    [InlineData("   ", new[] { "   " })]
    [InlineData("line\nbreak", new[] { "line\n", "break" })]
    public void SplitIntoTokens_ConcatenatesBackToTheText(string text, string[] expected)
    {
        var tokens = Tokenizer.SplitIntoTokens(text);

        tokens.ShouldBe(expected);
        string.Concat(tokens).ShouldBe(text);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(4, 1)]
    [InlineData(5, 2)]
    public void CountPromptChars_RoundsUpToWholeTokens(int length, int expected) =>
        Tokenizer.CountPromptChars(length).ShouldBe(expected);

    [Fact]
    public void Generate_IsExactCountAndStableForASeed()
    {
        var seed = new byte[32];
        seed[0] = 42;

        var first = TextGenerator.Generate(seed, 50);
        var second = TextGenerator.Generate(seed, 50);

        first.Count.ShouldBe(50);
        second.ShouldBe(first);
        first.Take(49).ShouldAllBe(t => t.EndsWith(' ') && t.Trim().Length > 0);
        first[^1].ShouldEndWith(".");
    }
}
