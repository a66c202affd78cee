namespace Agents.ModelSimulator.Tokens;

/// <summary>
/// The simulator's token rule, simple enough for a test to predict usage exactly (see docs/model-simulator.md):
/// prompts are counted by characters, answers by words.
/// </summary>
internal static class Tokenizer
{
    public const int CharsPerPromptToken = 4;
    public const int PromptTokensPerMessage = 4;
    public const int PromptTokensPerTool = 8;

    /// <summary>Completion tokens charged for one tool call, whatever its arguments.</summary>
    public const int CompletionTokensPerToolCall = 10;

    /// <summary>ceil(length / 4): 0 for empty text.</summary>
    public static int CountPromptChars(int length) => (length + CharsPerPromptToken - 1) / CharsPerPromptToken;

    /// <summary>
    /// Splits text into word tokens: each token is a run of non-whitespace plus the whitespace after it
    /// (leading whitespace joins the first token), so the tokens concatenate back to the exact text.
    /// </summary>
    public static List<string> SplitIntoTokens(string text)
    {
        var tokens = new List<string>();
        var start = 0;
        var i = 0;
        while (i < text.Length && char.IsWhiteSpace(text[i]))
        {
            i++;
        }

        while (i < text.Length)
        {
            while (i < text.Length && !char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            tokens.Add(text[start..i]);
            start = i;
        }

        // Whitespace-only text still is one token, so nothing of the reply is lost.
        if (start < text.Length)
        {
            tokens.Add(text[start..]);
        }

        return tokens;
    }
}
