namespace Agents.E2E.Tests.Infrastructure;

/// <summary>The tests that share the one host on the e2e port (the only port the OIDC provider accepts for them).</summary>
[CollectionDefinition(Name)]
public sealed class ChatAppTests : ICollectionFixture<ChatAppFixture>
{
    public const string Name = "chat app";
}

/// <summary>
/// The chat app as it is deployed: the static web server serving the built app (src/Web/dist) on AGENTS_TEST_E2E_PORT
/// with /api proxied to a real Functions host (on a free port), signed in against the local stack's OIDC provider, and
/// one headless Chromium (Debian's, driven by Playwright). Each test opens its own browser context, so sessions never
/// leak between tests.
/// </summary>
public sealed class ChatAppFixture : IAsyncLifetime
{
    /// <summary>Browser launch flags that work on this platform (see the platform notes): no GPU, no sandbox, no network chatter.</summary>
    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
    ];

    private IPlaywright? playwright;

    private HostSettings? settings;

    /// <summary>The app's origin: the web server the browser talks to (same-origin /api, proxied to <see cref="Functions"/>).</summary>
    public WebServerProcess Host { get; private set; } = null!;

    /// <summary>The Functions host behind the web server.</summary>
    public HostProcess Functions { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>The API as alice and bob call it, for setting up data and checking what the browser shows.</summary>
    public Api Alice { get; private set; } = null!;

    public Api Bob { get; private set; } = null!;

    public static string Issuer => StackEnvironment.Current.Issuer;

    public async Task InitializeAsync()
    {
        var port = E2EEnvironment.Port;
        var webRoot = E2EEnvironment.WebRoot;
        var issuer = StackEnvironment.Current.Issuer;
        settings = HostSettings.Isolated();
        Functions = await HostProcess.StartAsync(settings);
        Host = await WebServerProcess.StartAsync(webRoot, port, Functions.BaseAddress, issuer);
        Alice = new Api(new HttpClient(new BearerHandler("alice")) { BaseAddress = Functions.BaseAddress, Timeout = TimeSpan.FromSeconds(100) });
        Bob = new Api(new HttpClient(new BearerHandler("bob")) { BaseAddress = Functions.BaseAddress, Timeout = TimeSpan.FromSeconds(100) });

        playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = E2EEnvironment.ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
            Timeout = 60_000,
        });
        // Generous for a busy 2-core machine, but bounded: a broken feature fails in seconds, not minutes.
        Assertions.SetDefaultExpectTimeout(20_000);
    }

    /// <summary>A fresh browser context (its own cookies and session storage) and page on the app.</summary>
    public async Task<ChatAppPage> OpenAsync(ITestOutputHelper output, int width = 1280, int height = 800, ColorScheme colorScheme = ColorScheme.Light)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Host.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            ColorScheme = colorScheme,
            Locale = "en-GB",
            TimezoneId = "UTC",
        });
        context.SetDefaultTimeout(20_000);
        context.SetDefaultNavigationTimeout(30_000);
        var page = await context.NewPageAsync();
        return new ChatAppPage(context, page, output);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        playwright?.Dispose();
        Alice?.Dispose();
        Bob?.Dispose();
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }
        if (Functions is not null)
        {
            await Functions.DisposeAsync();
        }
        if (settings is not null)
        {
            await settings.DisposeAsync();
        }
    }
}
