using System.Globalization;
using System.Text;

namespace Agents.Faults;

/// <summary>
/// What <see cref="ToolRunLoad.VerifyAsync"/> found, and the rows every load scenario's table shows. A run ends as
/// promised when it completed, or, when its <see cref="ModelFault"/> cut its answer, failed with
/// <see cref="ModelFault.CutAnswerCode"/>; <see cref="Unexpected"/> lists the others.
/// </summary>
public sealed record Verdict(
    int Runs, int Completed, int CutShort, int ExpectedCutShort, List<string> WrongThreads, List<string> Unexpected, int ToolCalls,
    int MissingEffects, int DuplicateEffects, int ModelCalls, int LedgerCalls, int PartialRecords, long BudgetUsed, long LedgerTokens, long Reserved)
{
    /// <summary>Every run ended as promised, its thread and side effects exact, one ledger record per model call (the cut answers' partial), the budget equal to the ledger.</summary>
    public bool Holds => Unexpected.Count == 0 && WrongThreads.Count == 0 && MissingEffects == 0 && DuplicateEffects == 0
        && LedgerCalls == ModelCalls && PartialRecords == ExpectedCutShort && BudgetUsed == LedgerTokens && Reserved == 0;

    /// <summary>From "runs completed" to "tokens still reserved"; <paramref name="between"/> adds rows after the tool calls.</summary>
    public void AddRows(StringBuilder text, Action? between = null)
    {
        ScenarioReport.Row(text, "runs completed", Completed, Text(Runs - ExpectedCutShort));
        if (ExpectedCutShort > 0)
        {
            ScenarioReport.Row(text, $"runs failed with `{ModelFault.CutAnswerCode}` (their answer cut after text, which is not tried again)", CutShort, Text(ExpectedCutShort));
        }
        ScenarioReport.Row(text, ExpectedCutShort > 0 ? "runs lost (neither completed nor failed as promised)" : "runs lost (not completed)", Unexpected.Count, "0");
        ScenarioReport.Row(text, "threads with a wrong or repeated message", WrongThreads.Count, "0");
        ScenarioReport.Row(text, "tool calls made by the runs", ToolCalls, "");
        between?.Invoke();
        ScenarioReport.Row(text, "side effects missing", MissingEffects, "0");
        ScenarioReport.Row(text, "side effects duplicated", DuplicateEffects, "0");
        ScenarioReport.Row(text, "usage ledger records (one per model call)", LedgerCalls, Text(ModelCalls));
        ScenarioReport.Row(text, "of them partial (a cut answer's tokens, estimated)", PartialRecords, Text(ExpectedCutShort));
        ScenarioReport.Row(text, "day's budget used vs ledger tokens", $"{BudgetUsed} vs {LedgerTokens}", "equal");
        ScenarioReport.Row(text, "tokens still reserved", Reserved, "0");
    }

    /// <summary>The first few threads and runs that broke a promise, after the table.</summary>
    public void AddFindings(StringBuilder text)
    {
        foreach (var wrong in WrongThreads.Take(5))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"\nWrong: {wrong}");
        }
        foreach (var run in Unexpected.Take(5))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"\nNot ended as promised: {run}");
        }
    }

    private static string Text(int n) => n.ToString(CultureInfo.InvariantCulture);
}
