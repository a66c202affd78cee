using System.Net;
using System.Text.RegularExpressions;
using Agents.E2E.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Agents.E2E.Tests;

/// <summary>The thread list: deleting with confirmation, and one user never seeing another's threads.</summary>
[Collection(ChatAppTests.Name)]
public sealed partial class ThreadsTests(ChatAppFixture app, ITestOutputHelper output)
{
    [Fact]
    public async Task Delete_AfterConfirming_RemovesTheThread_AndCancelKeepsIt()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var doomed = await app.Alice.CreateThreadAsync($"Doomed {suffix}");
        var kept = await app.Alice.CreateThreadAsync($"Kept {suffix}");
        await using var ui = await app.OpenAsync(output);
        await ui.SignInAsync("alice");
        var item = ui.ThreadItem(doomed);
        await Expect(item).ToContainTextAsync($"Doomed {suffix}");

        // Cancel first: nothing is deleted.
        await item.GetByRole(AriaRole.Button, new() { NameRegex = DeleteButton() }).ClickAsync();
        var dialog = ui.Page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync($"Doomed {suffix}");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
        await Expect(item).ToBeVisibleAsync();

        await item.GetByRole(AriaRole.Button, new() { NameRegex = DeleteButton() }).ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();

        await Expect(dialog).ToBeHiddenAsync();
        await Expect(item).ToHaveCountAsync(0);
        await Expect(ui.ThreadItem(kept)).ToBeVisibleAsync();
        (await app.Alice.GetAsync($"/api/v1/threads/{doomed}")).Status.ShouldBe(HttpStatusCode.NotFound);
        await ui.Page.ReloadAsync();
        await Expect(ui.ThreadItem(kept)).ToBeVisibleAsync();
        await Expect(ui.ThreadItem(doomed)).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Bob_SeesNoneOfAlicesThreads_NotInTheListNorByDirectLink()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var secretTitle = $"Alice private {suffix}";
        var secretAnswer = $"alice-secret-{suffix}";
        var aliceThread = await app.Alice.CreateThreadAsync(secretTitle);
        var run = await app.Alice.StartRunAsync(aliceThread, $"Remember this [[sim reply=\"{secretAnswer}\"]]");
        (await app.Alice.WaitRunAsync(aliceThread, run))["status"]!.GetValue<string>().ShouldBe("completed");
        var bobThread = await app.Bob.CreateThreadAsync($"Bob's own {suffix}");

        await using var ui = await app.OpenAsync(output);
        await ui.SignInAsync("bob");
        await Expect(ui.UserName).ToHaveTextAsync("Bob User");
        await Expect(ui.ThreadItem(bobThread)).ToBeVisibleAsync(); // the list has loaded
        await Expect(ui.ThreadItem(aliceThread)).ToHaveCountAsync(0);
        await Expect(ui.Threads).Not.ToContainTextAsync(secretTitle);

        await ui.Page.GotoAsync($"/threads/{aliceThread}");

        await Expect(ui.Page.GetByTestId("error")).ToHaveAttributeAsync("data-code", "thread_not_found");
        await Expect(ui.Page.GetByRole(AriaRole.Heading, new() { Name = "Chat not found" })).ToBeVisibleAsync();
        await Expect(ui.Composer).ToBeDisabledAsync();
        await Expect(ui.Messages.Locator("article")).ToHaveCountAsync(0);
        var body = ui.Page.Locator("body");
        await Expect(body).Not.ToContainTextAsync(secretTitle);
        await Expect(body).Not.ToContainTextAsync(secretAnswer);
        await Expect(body).Not.ToContainTextAsync("Remember this");
    }

    [GeneratedRegex("^Delete")]
    private static partial Regex DeleteButton();
}
