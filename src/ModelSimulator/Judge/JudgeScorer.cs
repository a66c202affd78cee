using System.Globalization;

namespace Agents.ModelSimulator.Judge;

/// <summary>
/// Stands in for a policy judge: the product asks a model to score how risky a proposed tool call is (0 safe,
/// 1 dangerous). Keywords in the last user message give a predictable score so policies can be tested.
/// </summary>
internal static class JudgeScorer
{
    public const string JudgeModel = "sim-judge";
    public const double HighScore = 0.95;
    public const double MediumScore = 0.6;
    public const double LowScore = 0.05;

    private static readonly string[] HighRiskKeywords = ["rm -rf", "drop table", "delete", "shutdown", "format"];
    private static readonly string[] MediumRiskKeywords = ["send_email", "transfer", "payment", "write"];

    /// <summary>The judge's answer, e.g. <c>{"score":0.95,"reason":"high-risk keyword 'rm -rf'"}</c>.</summary>
    public static string Verdict(string lastUserText, double? scriptedScore)
    {
        var (score, reason) = scriptedScore is { } scripted
            ? (scripted, "scripted score")
            : Assess(lastUserText);
        return string.Create(CultureInfo.InvariantCulture, $$"""{"score":{{score}},"reason":"{{reason}}"}""");
    }

    private static (double Score, string Reason) Assess(string text)
    {
        // Substring matches, case-insensitive: crude on purpose, the point is a score a test can predict.
        foreach (var keyword in HighRiskKeywords)
        {
            if (text.Contains(keyword, StringComparison.OrdinalIgnoreCase))
            {
                return (HighScore, $"high-risk keyword '{keyword}'");
            }
        }

        foreach (var keyword in MediumRiskKeywords)
        {
            if (text.Contains(keyword, StringComparison.OrdinalIgnoreCase))
            {
                return (MediumScore, $"medium-risk keyword '{keyword}'");
            }
        }

        return (LowScore, "no risky keyword");
    }
}
