using Agents.ModelSimulator.Script;

namespace Agents.ModelSimulator.Tests;

public sealed class SimScriptParserTests
{
    [Fact]
    public void Message_WithoutDirective_GivesTheEmptyScript()
    {
        SimScriptParser.TryParseMessage("just a question about [[simulation]]", out var script, out var error).ShouldBeTrue();

        error.ShouldBeNull();
        script.ShouldBeSameAs(SimScript.Empty);
    }

    [Fact]
    public void Message_WithDirectiveAnywhere_ReadsEveryKind()
    {
        const string text = """before [[sim tokens=5 ttft=10 tps=2.5 hang error=429 retry_after=3 times=2 drop=1 cached=4 score=0.25 judge steps=2 parallel=3]] after""";

        SimScriptParser.TryParseMessage(text, out var script, out var error).ShouldBeTrue(error);

        script.Tokens.ShouldBe(5);
        script.TimeToFirstTokenMs.ShouldBe(10);
        script.TokensPerSecond.ShouldBe(2.5);
        script.Hang.ShouldBeTrue();
        script.ErrorStatus.ShouldBe(429);
        script.RetryAfterSeconds.ShouldBe(3);
        script.Times.ShouldBe(2);
        script.Drop.ShouldBe(1);
        script.CachedTokens.ShouldBe(4);
        script.Score.ShouldBe(0.25);
        script.Judge.ShouldBeTrue();
        script.Steps.ShouldBe(2);
        script.Parallel.ShouldBe(3);
    }

    [Fact]
    public void Values_MayBeDoubleQuotedSingleQuotedOrUrlEncoded()
    {
        const string text = """[[sim reply="say \"hi\" ]] now" tool=a args='{"list":[[1]]}' tool=b args=%7B%22q%22%3A%22x+y%22%7D]]""";

        SimScriptParser.TryParseMessage(text, out var script, out var error).ShouldBeTrue(error);

        script.Reply.ShouldBe("say \"hi\" ]] now");
        script.ToolCalls.ShouldBe([new ToolCallSpec("a", """{"list":[[1]]}"""), new ToolCallSpec("b", """{"q":"x y"}""")]);
    }

    [Fact]
    public void Args_BeforeAnyTool_BecomeTheDefaultArguments()
    {
        SimScriptParser.TryParseHeader("""args='{"k":1}' steps=1""", out var script, out _).ShouldBeTrue();

        script.DefaultArgs.ShouldBe("""{"k":1}""");
        script.ToolCalls.ShouldBeEmpty();
    }

    [Fact]
    public void Header_AcceptsTheBracketedFormToo()
    {
        SimScriptParser.TryParseHeader("[[sim tokens=2]]", out var script, out _).ShouldBeTrue();

        script.Tokens.ShouldBe(2);
    }

    [Fact]
    public void Model_ScopesTheFailuresToRequestsForThatModel()
    {
        SimScriptParser.TryParseMessage("[[sim error=500 model=sim-small]]", out var script, out var error).ShouldBeTrue(error);

        script.FailingModel.ShouldBe("sim-small");
        script.FailsFor("sim-small").ShouldBeTrue();
        script.FailsFor("SIM-Small").ShouldBeTrue();
        script.FailsFor("sim-large").ShouldBeFalse();
    }

    [Fact]
    public void Model_WithoutAFailure_FailsNothing()
    {
        SimScriptParser.TryParseMessage("[[sim tokens=3 model=sim-small]]", out var script, out _).ShouldBeTrue();

        script.FailsFor("sim-small").ShouldBeFalse();
    }

    [Theory]
    [InlineData("[[sim error=500 model=]]")]
    [InlineData("[[sim error=500 model=\" \"]]")]
    public void Model_Empty_IsRejectedNamingTheItem(string text)
    {
        SimScriptParser.TryParseMessage(text, out _, out var error).ShouldBeFalse();

        error.ShouldBe("model= needs a model name: the \"model\" of the requests that error, hang and drop apply to (model=sim-small).");
    }

    [Theory]
    [InlineData("[[sim tokens=5")]
    [InlineData("[[sim tokens=-1]]")]
    [InlineData("[[sim tokens]]")]
    [InlineData("[[sim error=200]]")]
    [InlineData("[[sim score=1.5]]")]
    [InlineData("[[sim parallel=0]]")]
    [InlineData("[[sim nonsense=1]]")]
    [InlineData("[[sim reply=\"unterminated]]")]
    [InlineData("[[sim args='[1,2]']]")]
    [InlineData("[[sim tool=a args={} args={}]]")]
    [InlineData("[[sim hang=maybe]]")]
    [InlineData("[[sim error=500 model]]")]
    public void InvalidDirective_IsRejectedWithAMessage(string text)
    {
        SimScriptParser.TryParseMessage(text, out _, out var error).ShouldBeFalse();

        error.ShouldNotBeNullOrWhiteSpace();
    }
}
