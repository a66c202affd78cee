using Agents.Domain.Errors;

namespace Agents.Domain.Runs;

/// <summary>The problems of a model call that ended a run, worded for the person who started it.</summary>
public static class ModelProblems
{
    public static ApiProblem Interrupted { get; } = new(502, "model_stream_interrupted", "The model's answer broke off",
        "The model stopped sending before its answer was complete. The part that arrived is kept, marked incomplete; sending the message again may help.");

    public static ApiProblem TimedOutMidAnswer(int seconds) => new(504, "model_timeout", "The model did not finish its answer in time",
        FormattableString.Invariant($"The answer was not complete within {seconds} s. The part that arrived is kept, marked incomplete."));
}
