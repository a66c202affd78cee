using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Web;

namespace Agents.IntegrationTests.Infrastructure;

/// <summary>The token endpoint's answer.</summary>
public sealed record TokenSet(string AccessToken, string? RefreshToken, string? IdToken, int ExpiresIn);

/// <summary>
/// Signs a user in at the local OIDC provider through the real authorization code flow with PKCE (S256), as the chat
/// app does: authorize → login form → consent → redirect with a code → token endpoint with the verifier.
/// </summary>
public static partial class LocalTokens
{
    public const string ClientId = "agents-spa";
    public const string RedirectUri = "http://127.0.0.1:7071/auth/callback";
    public const string Scope = "openid profile offline_access api://agents/Agents.Access";

    private static readonly Dictionary<string, string> Passwords = new(StringComparer.Ordinal) { ["alice"] = "alice-pw", ["bob"] = "bob-pw" };
    private static readonly Dictionary<string, (Task<TokenSet> Tokens, DateTime Obtained)> Cache = new(StringComparer.Ordinal);

    /// <summary>
    /// A token for the user, shared by the tests and signed in again when less than half its lifetime (ten minutes)
    /// is left: the suite runs longer than a token lives, and a test may hold its client for minutes.
    /// </summary>
    public static Task<string> AccessTokenAsync(string user)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(user, out var entry) || entry.Tokens.IsFaulted
                || (entry.Tokens.IsCompletedSuccessfully && DateTime.UtcNow - entry.Obtained > TimeSpan.FromSeconds(entry.Tokens.Result.ExpiresIn / 2.0)))
            {
                Cache[user] = entry = (SignInAsync(StackEnvironment.Current.Issuer, user, Passwords[user]), DateTime.UtcNow);
            }
            return entry.Tokens.ContinueWith(t => t.Result.AccessToken, TaskScheduler.Default);
        }
    }

    public static async Task<TokenSet> SignInAsync(string issuer, string user, string password)
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(15) };
        var discovery = JsonDocument.Parse(await http.GetStringAsync(new Uri($"{issuer}/.well-known/openid-configuration"))).RootElement;

        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64Url(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(verifier)));
        var state = Base64Url(RandomNumberGenerator.GetBytes(16));
        var query = HttpUtility.ParseQueryString("");
        query["client_id"] = ClientId;
        query["response_type"] = "code";
        query["redirect_uri"] = RedirectUri;
        query["scope"] = Scope;
        query["state"] = state;
        query["nonce"] = Base64Url(RandomNumberGenerator.GetBytes(16));
        query["code_challenge"] = challenge;
        query["code_challenge_method"] = "S256";
        var url = new Uri($"{discovery.GetProperty("authorization_endpoint").GetString()}?{query}");
        HttpContent? form = null;

        for (var hop = 0; hop < 15; hop++)
        {
            if (url.AbsoluteUri.StartsWith(RedirectUri, StringComparison.Ordinal))
            {
                var result = HttpUtility.ParseQueryString(url.Query);
                if (result["state"] != state)
                {
                    throw new InvalidOperationException("state mismatch");
                }
                return await TokenAsync(http, discovery, new Dictionary<string, string>
                {
                    ["grant_type"] = "authorization_code",
                    ["code"] = result["code"] ?? throw new InvalidOperationException($"no code: {url}"),
                    ["redirect_uri"] = RedirectUri,
                    ["client_id"] = ClientId,
                    ["code_verifier"] = verifier,
                });
            }
            using var response = form is null ? await http.GetAsync(url) : await http.PostAsync(url, form);
            form = null;
            if ((int)response.StatusCode is >= 300 and < 400)
            {
                url = new Uri(url, response.Headers.Location!);
                continue;
            }
            var html = await response.Content.ReadAsStringAsync();
            var action = LoginAction().Match(html);
            if (response.StatusCode == HttpStatusCode.OK && action.Success && hop < 14)
            {
                if (html.Contains("id=\"login-error\"", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"sign-in as {user} failed");
                }
                url = new Uri(url, WebUtility.HtmlDecode(action.Groups[1].Value));
                form = new FormUrlEncodedContent(new Dictionary<string, string> { ["username"] = user, ["password"] = password });
                continue;
            }
            throw new InvalidOperationException($"unexpected {(int)response.StatusCode} at {url}: {html[..Math.Min(300, html.Length)]}");
        }
        throw new InvalidOperationException("too many redirects");
    }

    public static async Task<TokenSet> RefreshAsync(string issuer, string refreshToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        var discovery = JsonDocument.Parse(await http.GetStringAsync(new Uri($"{issuer}/.well-known/openid-configuration"))).RootElement;
        return await TokenAsync(http, discovery, new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = refreshToken,
            ["client_id"] = ClientId,
        });
    }

    private static async Task<TokenSet> TokenAsync(HttpClient http, JsonElement discovery, Dictionary<string, string> form)
    {
        using var content = new FormUrlEncodedContent(form);
        using var response = await http.PostAsync(new Uri(discovery.GetProperty("token_endpoint").GetString()!), content);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"token endpoint answered {(int)response.StatusCode}: {json}");
        }
        return new TokenSet(
            json.GetProperty("access_token").GetString()!,
            json.TryGetProperty("refresh_token", out var r) ? r.GetString() : null,
            json.TryGetProperty("id_token", out var i) ? i.GetString() : null,
            json.GetProperty("expires_in").GetInt32());
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [GeneratedRegex("<form[^>]*action=\"([^\"]*/login)\"", RegexOptions.IgnoreCase)]
    private static partial Regex LoginAction();
}

/// <summary>
/// Puts a current token of the user on every request (<see cref="LocalTokens.AccessTokenAsync"/> renews it), and
/// checks every response against the host's OpenAPI document (<see cref="ContractHandler"/>).
/// </summary>
public sealed class BearerHandler(string user) : DelegatingHandler(new ContractHandler())
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await LocalTokens.AccessTokenAsync(user));
        return await base.SendAsync(request, cancellationToken);
    }
}
