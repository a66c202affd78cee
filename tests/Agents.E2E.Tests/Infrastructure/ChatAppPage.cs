using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using static Microsoft.Playwright.Assertions;

namespace Agents.E2E.Tests.Infrastructure;

/// <summary>
/// The chat app in one browser context, with the selectors of docs/web.md ("Selectors for end-to-end tests").
/// Locators auto-wait; nothing here sleeps. What went wrong in the browser (console errors, API errors) and the page's
/// last text go to the test's output, which the runner shows when a test fails.
/// </summary>
public sealed partial class ChatAppPage : IAsyncDisposable
{
    private static readonly Dictionary<string, string> Passwords = new(StringComparer.Ordinal) { ["alice"] = "alice-pw", ["bob"] = "bob-pw" };

    private readonly IBrowserContext context;
    private readonly IPage page;
    private readonly ITestOutputHelper output;

    public ChatAppPage(IBrowserContext context, IPage page, ITestOutputHelper output)
    {
        this.context = context;
        this.page = page;
        this.output = output;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                Log($"console error: {message.Text}");
            }
        };
        page.PageError += (_, error) => Log($"page error: {error}");
        page.Response += (_, response) =>
        {
            if (response.Status >= 400 && response.Url.Contains("/api/", StringComparison.Ordinal))
            {
                Log($"{response.Request.Method} {response.Url} -> {response.Status}");
            }
        };
    }

    public IPage Page => page;

    public ILocator UserName => page.GetByTestId("user-name");

    public ILocator SignInButton => page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true });

    public ILocator SignOutButton => page.GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true });

    public ILocator Threads => page.GetByRole(AriaRole.Navigation, new() { Name = "Threads" });

    public ILocator Composer => page.GetByLabel("Message", new() { Exact = true });

    public ILocator SendButton => page.GetByRole(AriaRole.Button, new() { Name = "Send", Exact = true });

    public ILocator StopButton => page.GetByRole(AriaRole.Button, new() { Name = "Stop", Exact = true });

    public ILocator Messages => page.GetByTestId("messages");

    public ILocator RunStatus => page.GetByTestId("run-status");

    public ILocator AssistantMessages => page.Locator("article[data-role=assistant]");

    public ILocator ToolSteps => page.Locator("article[data-role=tool]");

    public ILocator ThreadItem(string threadId) => page.Locator($"[data-testid=thread-item][data-thread-id=\"{threadId}\"]");

    public ILocator StoredAssistant(string messageId) => page.Locator($"article[data-role=assistant][data-message-id=\"{messageId}\"]");

    /// <summary>The id in the address bar (/threads/{id}).</summary>
    public string CurrentThreadId => Uri.UnescapeDataString(ThreadPath().Match(new Uri(page.Url).AbsolutePath).Groups[1].Value);

    /// <summary>Signs in through the provider's real login form, as a person would, and waits for the app's header.</summary>
    public async Task SignInAsync(string user)
    {
        await page.GotoAsync("/");
        await SignInButton.ClickAsync();
        await SubmitLoginFormAsync(user);
        await Expect(SignOutButton).ToBeVisibleAsync(); // the name is hidden on phone widths; Sign out never is
    }

    /// <summary>Fills the provider's login form (the page must be on its way there).</summary>
    public async Task SubmitLoginFormAsync(string user)
    {
        await page.Locator("input[name=username]").FillAsync(user);
        await page.Locator("input[name=password]").FillAsync(Passwords[user]);
        await page.Locator("#sign-in").ClickAsync();
    }

    /// <summary>New chat from the sidebar; returns the new thread's id once its page is open.</summary>
    public async Task<string> NewChatAsync()
    {
        await Threads.GetByRole(AriaRole.Button, new() { Name = "New chat", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(ThreadPath());
        var id = CurrentThreadId;
        await Expect(ThreadItem(id)).ToBeVisibleAsync();
        return id;
    }

    public async Task SendAsync(string text)
    {
        await Composer.FillAsync(text);
        await SendButton.ClickAsync();
    }

    /// <summary>Waits until the API holds a message of <paramref name="role"/> that satisfies <paramref name="until"/>, and returns it.</summary>
    public static async Task<JsonNode> StoredMessageAsync(Api api, string threadId, string role, Func<JsonNode, bool>? until = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var messages = await api.MessagesAsync(threadId);
            var match = messages.LastOrDefault(m => m!["role"]!.GetValue<string>() == role && (until is null || until(m!)));
            if (match is not null)
            {
                return match;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no stored {role} message in {threadId}: {messages.ToJsonString()}");
            }
            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            var text = await page.Locator("body").InnerTextAsync(new() { Timeout = 2_000 });
            Log($"last page {page.Url}:\n{(text.Length > 3_000 ? text[..3_000] + "…" : text)}");
        }
        catch (PlaywrightException)
        {
            // the page is gone or busy: nothing to add
        }
        catch (TimeoutException)
        {
        }
        await context.DisposeAsync();
    }

    private void Log(string line)
    {
        try
        {
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");
        }
        catch (InvalidOperationException)
        {
            // an event after the test ended
        }
    }

    [GeneratedRegex("/threads/([^/]+)$")]
    private static partial Regex ThreadPath();
}
