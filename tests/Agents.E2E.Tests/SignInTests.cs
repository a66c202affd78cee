using Agents.E2E.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Agents.E2E.Tests;

/// <summary>Sign-in and sign-out through the local OIDC provider's real login form (code + PKCE), no token injection.</summary>
[Collection(ChatAppTests.Name)]
public sealed class SignInTests(ChatAppFixture app, ITestOutputHelper output)
{
    [Fact]
    public async Task SignIn_ThroughTheProvidersLoginForm_ShowsTheUsersName()
    {
        await using var ui = await app.OpenAsync(output);
        await ui.Page.GotoAsync("/");
        await Expect(ui.UserName).ToHaveCountAsync(0);

        await ui.SignInButton.ClickAsync();
        await Expect(ui.Page.Locator("input[name=username]")).ToBeVisibleAsync();
        Origin(ui.Page.Url).ShouldBe(ChatAppFixture.Issuer, "the login form is the provider's, not the app's");
        await ui.SubmitLoginFormAsync("alice");

        await Expect(ui.UserName).ToHaveTextAsync("Alice Admin");
        await Expect(ui.Page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Admin" }))
            .ToBeVisibleAsync(); // alice has Agents.Admin
        var url = new Uri(ui.Page.Url);
        Origin(ui.Page.Url).ShouldBe(Origin(app.Host.BaseAddress.ToString()));
        url.Query.ShouldBeEmpty("the code and state are dropped from the address bar");

        // Tokens live in session storage only.
        (await ui.Page.EvaluateAsync<bool>("() => Object.keys(sessionStorage).some(k => k.startsWith('agents.oidc.user:'))")).ShouldBeTrue();
        (await ui.Page.EvaluateAsync<string>("() => JSON.stringify(localStorage)")).ShouldNotContain("eyJ");
    }

    [Fact]
    public async Task SignOut_ForgetsTheTokens_AndEndsTheProviderSession()
    {
        await using var ui = await app.OpenAsync(output);
        await ui.SignInAsync("alice");

        await ui.SignOutButton.ClickAsync();

        await Expect(ui.SignInButton).ToBeVisibleAsync();
        await Expect(ui.UserName).ToHaveCountAsync(0);
        Origin(ui.Page.Url).ShouldBe(Origin(app.Host.BaseAddress.ToString()), "the provider sends the user back to the app");
        (await ui.Page.EvaluateAsync<bool>("() => Object.keys(sessionStorage).some(k => k.startsWith('agents.oidc.user:'))")).ShouldBeFalse();

        // A reload does not sign in again, and signing in asks for the password again: the provider's session ended too.
        await ui.Page.ReloadAsync();
        await Expect(ui.SignInButton).ToBeVisibleAsync();
        await ui.SignInButton.ClickAsync();
        await Expect(ui.Page.Locator("input[name=password]")).ToBeVisibleAsync();
    }

    private static string Origin(string url) => new Uri(url).GetLeftPart(UriPartial.Authority);
}
