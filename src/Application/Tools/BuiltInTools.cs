using System.ComponentModel;
using System.Globalization;
using Agents.Application.Storage.Cosmos;
using Microsoft.Azure.Cosmos;

namespace Agents.Application.Tools;

/// <summary>The built-in tools. Side effects are keyed on the call's idempotency key, so a replay repeats nothing.</summary>
public sealed class BuiltInTools(CosmosDatabase cosmos, TimeProvider clock) : IToolProvider
{
    private readonly DocumentContainer notes = new(cosmos.Container(Containers.Threads));

    [Tool("calculator"), Description("Evaluates an arithmetic expression with + - * / % ^ and parentheses, e.g. '(2 + 3) * 4'.")]
    public static string Calculate([Description("The expression to evaluate.")] string expression) =>
        Calculator.Evaluate(expression).ToString("G15", CultureInfo.InvariantCulture);

    [Tool("current_time"), Description("Returns the current date and time in ISO 8601, in UTC or in the given IANA time zone.")]
    public string CurrentTime([Description("An IANA time zone such as 'Europe/Paris'; UTC when omitted.")] string? timeZone = null)
    {
        var now = clock.GetUtcNow();
        if (string.IsNullOrWhiteSpace(timeZone))
        {
            return now.ToString("O", CultureInfo.InvariantCulture);
        }
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out var zone))
        {
            throw new ToolException($"Unknown time zone '{timeZone}'.");
        }
        return TimeZoneInfo.ConvertTime(now, zone).ToString("O", CultureInfo.InvariantCulture);
    }

    [Tool("save_note"), Description("Saves a short note for the user, to be listed later with list_notes.")]
    public async Task<string> SaveNote(
        [Description("A short title.")] string title,
        [Description("The note's text.")] string text,
        ToolCallScope scope,
        CancellationToken ct)
    {
        if (title.Length > 200 || text.Length > 4000)
        {
            throw new ToolException("A note's title is at most 200 characters and its text at most 4000.");
        }
        // The id is the call's idempotency key: a replayed call finds its note already there.
        var note = new Note($"note_{scope.RunId}_{scope.ToolCallId}", title, text, clock.GetUtcNow());
        var created = await notes.TryCreateAsync(PartitionKeys.Owner(scope.UserId), "note", note, ct).ConfigureAwait(false);
        return created ? $"Saved note '{title}'." : $"Note '{title}' was already saved.";
    }

    [Tool("list_notes"), Description("Lists the user's saved notes, newest first (at most 20).")]
    public async Task<IReadOnlyList<Note>> ListNotes(ToolCallScope scope, CancellationToken ct)
    {
        var pk = PartitionKeys.Owner(scope.UserId);
        return await notes.QueryAllAsync<Note>(pk,
            new QueryDefinition("SELECT TOP 20 * FROM c WHERE c.pk = @pk AND c.type = 'note' ORDER BY c.createdAt DESC").WithParameter("@pk", pk), ct).ConfigureAwait(false);
    }

    [Tool("send_email"), Description("Sends an email on the user's behalf. In this deployment it is delivered to the user's outbox only.")]
    public async Task<string> SendEmail(
        [Description("Recipient address.")] string to,
        [Description("Subject line.")] string subject,
        [Description("Plain-text body.")] string body,
        ToolCallScope scope,
        CancellationToken ct)
    {
        if (!to.Contains('@', StringComparison.Ordinal) || to.Length > 320)
        {
            throw new ToolException($"'{to}' is not an email address.");
        }
        var mail = new OutboxMail($"mail_{scope.RunId}_{scope.ToolCallId}", to, subject, body, clock.GetUtcNow());
        await notes.TryCreateAsync(PartitionKeys.Owner(scope.UserId), "outbox", mail, ct).ConfigureAwait(false);
        return $"Email to {to} queued in the outbox ({mail.Id}).";
    }

    [Tool("wait_seconds"), Description("Waits the given number of seconds (at most 30), then answers. Useful to test long-running steps.")]
    public static async Task<string> WaitSeconds([Description("Seconds to wait, 0-30.")] int seconds, CancellationToken ct)
    {
        await Task.Delay(TimeSpan.FromSeconds(Math.Clamp(seconds, 0, 30)), ct).ConfigureAwait(false);
        return $"Waited {Math.Clamp(seconds, 0, 30)} s.";
    }

    public sealed record Note(string Id, string Title, string Text, DateTimeOffset CreatedAt);

    public sealed record OutboxMail(string Id, string To, string Subject, string Body, DateTimeOffset CreatedAt);
}
