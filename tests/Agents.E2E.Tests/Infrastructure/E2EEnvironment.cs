namespace Agents.E2E.Tests.Infrastructure;

/// <summary>
/// What the end-to-end tests need beyond the local stack: the port registered at the OIDC provider as a redirect URI
/// (AGENTS_TEST_E2E_PORT), the built app (AGENTS_TEST_WEB_ROOT, default src/Web/dist) and Chromium
/// (AGENTS_TEST_CHROMIUM, default Debian's /usr/bin/chromium). `./dev test` sets them.
/// </summary>
public static class E2EEnvironment
{
    public static int Port
    {
        get
        {
            var value = Environment.GetEnvironmentVariable("AGENTS_TEST_E2E_PORT");
            if (!int.TryParse(value, out var port) || port is <= 0 or > 65535)
            {
                throw new InvalidOperationException(
                    "AGENTS_TEST_E2E_PORT is not set: run the end-to-end tests with `./dev test`, which registers " +
                    "http://127.0.0.1:<port>/auth/callback at the OIDC provider (OIDC_EXTRA_REDIRECT_URIS) and exports the port.");
            }
            return port;
        }
    }

    public static string WebRoot
    {
        get
        {
            var root = Environment.GetEnvironmentVariable("AGENTS_TEST_WEB_ROOT") is { Length: > 0 } configured
                ? Path.GetFullPath(configured)
                : Path.Combine(StackEnvironment.RepositoryRoot, "src", "Web", "dist");
            if (!File.Exists(Path.Combine(root, "index.html")))
            {
                throw new InvalidOperationException($"The chat app is not built: no index.html in {root}. Run `cd src/Web && npm run build`.");
            }
            return root;
        }
    }

    public static string ChromiumPath
    {
        get
        {
            var path = Environment.GetEnvironmentVariable("AGENTS_TEST_CHROMIUM") is { Length: > 0 } configured ? configured : "/usr/bin/chromium";
            if (!File.Exists(path))
            {
                throw new InvalidOperationException($"Chromium not found at {path}: install Debian's `chromium` (Playwright cannot download its own browser here) or set AGENTS_TEST_CHROMIUM.");
            }
            return path;
        }
    }

    /// <summary>Set to 1 to (re)write docs/screenshots/*.png.</summary>
    public static bool Screenshots => Environment.GetEnvironmentVariable("AGENTS_SCREENSHOTS") == "1";
}
