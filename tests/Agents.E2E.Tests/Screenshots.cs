using System.Net;
using Agents.E2E.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Agents.E2E.Tests;

/// <summary>
/// Writes the screenshots of docs/web.md (docs/screenshots/*.png) from the real app against the local stack. Runs only
/// with AGENTS_SCREENSHOTS=1; see docs/web.md for the command.
/// </summary>
[Collection(ChatAppTests.Name)]
public sealed class Screenshots(ChatAppFixture app, ITestOutputHelper output)
{
    private const string CodeQuestion = "How do I read a text file line by line in Python?";

    private const string CodeAnswer = """
        Open the file in a `with` block and loop over it. The file object yields one line at a time, so even a large file is never read into memory at once, and the file is closed when the block ends.

        ```python
        with open('notes.txt', encoding='utf-8') as f:
            for number, line in enumerate(f, start=1):
                print(number, line.rstrip())
        ```

        `rstrip()` drops the line break at the end of each line.
        """;

    /// <summary>
    /// Hides the model simulator's directives (<c>[[sim …]]</c>) in the user's bubbles: they only script the simulator,
    /// a real model needs none. Everything else on the screenshots is the app as it is.
    /// </summary>
    private const string HideSimulatorDirectives = """
        (() => {
          const strip = () => document.querySelectorAll('.user-text').forEach((el) => {
            const text = el.textContent ?? '';
            const cleaned = text.replace(/\s*\[\[sim[\s\S]*?\]\]\s*$/, '');
            if (cleaned !== text) el.textContent = cleaned;
          });
          new MutationObserver(strip).observe(document, { subtree: true, childList: true, characterData: true });
        })();
        """;

    private static string Directory => Path.Combine(StackEnvironment.RepositoryRoot, "docs", "screenshots");

    [ScreenshotFact]
    public async Task WriteScreenshots()
    {
        System.IO.Directory.CreateDirectory(Directory);
        await DeleteAllThreadsAsync(app.Alice);
        var trip = await app.Alice.CreateThreadAsync("Weekend trip ideas");
        await app.Alice.StartRunAsync(trip, "Three ideas for a weekend in Lisbon? [[sim tokens=40]]");
        await app.Alice.CreateThreadAsync("Quarterly numbers");
        var report = await app.Alice.CreateThreadAsync("Send the weekly report");
        var code = await app.Alice.CreateThreadAsync("Reading files in Python");

        // Sign-in page.
        await using (var ui = await OpenAsync())
        {
            await ui.Page.GotoAsync("/");
            await Expect(ui.SignInButton).ToBeVisibleAsync();
            await SaveAsync(ui, "sign-in.png");
        }

        // A streamed answer with a code block.
        await using (var ui = await OpenAsync())
        {
            await ui.SignInAsync("alice");
            await ui.Page.GotoAsync($"/threads/{code}");
            await ui.SendAsync($"{CodeQuestion} [[sim tps=40 reply=\"{CodeAnswer}\"]]");
            await Expect(ui.AssistantMessages.Last.Locator("pre code")).ToContainTextAsync("enumerate");
            await Expect(ui.SendButton).ToBeVisibleAsync(); // the run has finished
            await ui.Composer.BlurAsync(); // no focus ring on the composer
            await SaveAsync(ui, "chat.png");
        }

        // A tool step waiting for approval.
        await using (var ui = await OpenAsync())
        {
            await ui.SignInAsync("alice");
            await ui.Page.GotoAsync($"/threads/{report}");
            await ui.SendAsync("""Email the weekly report to the team. [[sim steps=1 tool=send_email args='{"to":"team@contoso.example","subject":"Weekly report","body":"Hi all, this week we shipped the chat app and closed 14 issues. Details in the attached notes."}' reply="Done: the weekly report is in your outbox, addressed to team@contoso.example."]]""");
            await Expect(ui.Page.GetByTestId("approval")).ToBeVisibleAsync();
            await SaveAsync(ui, "tool-approval.png");
            await ui.Page.GetByTestId("approval").GetByRole(AriaRole.Button, new() { Name = "Approve", Exact = true }).ClickAsync();
            await Expect(ui.ToolSteps.First).ToHaveAttributeAsync("data-status", "completed");
            await Expect(ui.SendButton).ToBeVisibleAsync();
        }

        // Usage.
        await using (var ui = await OpenAsync())
        {
            await ui.SignInAsync("alice");
            await ui.Page.GotoAsync("/usage");
            await Expect(ui.Page.GetByTestId("usage-totals")).ToBeVisibleAsync();
            await Expect(ui.Page.Locator("figure")).ToHaveCountAsync(2);
            await SaveAsync(ui, "usage.png");
        }

        // Dark mode: the finished tool step and its answer.
        await using (var ui = await OpenAsync(colorScheme: ColorScheme.Dark))
        {
            await ui.SignInAsync("alice");
            await ui.Page.GotoAsync($"/threads/{report}");
            await Expect(ui.ToolSteps.First).ToHaveAttributeAsync("data-status", "completed");
            await ui.ToolSteps.First.Locator("summary").ClickAsync(); // expanded: arguments and result
            await Expect(ui.AssistantMessages.Last).ToContainTextAsync("outbox");
            await SaveAsync(ui, "dark.png");
        }

        // Phone width.
        await using (var ui = await OpenAsync(width: 390, height: 844))
        {
            await ui.SignInAsync("alice");
            await ui.Page.GotoAsync($"/threads/{code}");
            await Expect(ui.AssistantMessages.Last.Locator("pre code")).ToContainTextAsync("enumerate");
            await SaveAsync(ui, "phone.png");
        }
    }

    private async Task<ChatAppPage> OpenAsync(int width = 1280, int height = 800, ColorScheme colorScheme = ColorScheme.Light)
    {
        var ui = await app.OpenAsync(output, width, height, colorScheme);
        await ui.Page.AddInitScriptAsync(HideSimulatorDirectives);
        return ui;
    }

    private static async Task SaveAsync(ChatAppPage ui, string name)
    {
        // Let fonts, the caret and the scroll position settle; screenshots are not assertions.
        await ui.Page.EvaluateAsync("() => document.fonts.ready");
        await ui.Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Directory, name), Animations = ScreenshotAnimations.Disabled, Caret = ScreenshotCaret.Hide });
    }

    private static async Task DeleteAllThreadsAsync(Api api)
    {
        while (true)
        {
            var page = await api.GetAsync("/api/v1/threads?limit=100");
            page.Status.ShouldBe(HttpStatusCode.OK);
            var threads = page.Body!["data"]!.AsArray();
            if (threads.Count == 0)
            {
                return;
            }
            foreach (var thread in threads)
            {
                (await api.DeleteAsync($"/api/v1/threads/{thread!["id"]!.GetValue<string>()}")).Status.ShouldBe(HttpStatusCode.NoContent);
            }
        }
    }
}
