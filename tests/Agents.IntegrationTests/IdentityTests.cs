using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;
using static Agents.IntegrationTests.Infrastructure.ProviderTokens;

namespace Agents.IntegrationTests;

/// <summary>A host that tolerates one second of clock skew, so that expiry can be tested without waiting.</summary>
public sealed class StrictClockHost : HostFixture
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string> { ["Identity__ClockSkewSeconds"] = "1" };
}

/// <summary>
/// Token validation through the HTTP API with the local provider's real tokens and keys: every forgery and mismatch is
/// refused with 401 (or 403 for a valid token without the scope), with a WWW-Authenticate challenge.
/// </summary>
public sealed class IdentityTests(StrictClockHost fixture) : IClassFixture<StrictClockHost>
{
    private static string Issuer => StackEnvironment.Current.Issuer;

    [Fact]
    public async Task RealToken_FromThePkceFlow_AndItsRefresh_AreAccepted()
    {
        var tokens = await LocalTokens.SignInAsync(Issuer, "bob", "bob-pw");
        (await CallMeAsync(tokens.AccessToken)).Status.ShouldBe(HttpStatusCode.OK);
        var refreshed = await LocalTokens.RefreshAsync(Issuer, tokens.RefreshToken!);
        var me = await CallMeAsync(refreshed.AccessToken);
        me.Status.ShouldBe(HttpStatusCode.OK);
        me.Text("displayName").ShouldBe("Bob User");
    }

    [Fact]
    public async Task TamperedPayload_TamperedSignature_AlgNone_AndHs256WithThePublicKey_AreRejected()
    {
        var token = await LocalTokens.AccessTokenAsync("bob");
        var parts = token.Split('.');
        var payload = JsonNode.Parse(Base64UrlEncoder.Decode(parts[1]))!;
        payload["roles"] = new JsonArray("Agents.Admin");
        var tamperedPayload = $"{parts[0]}.{Base64UrlEncoder.Encode(payload.ToJsonString())}.{parts[2]}";
        var signature = Base64UrlEncoder.DecodeBytes(parts[2]);
        signature[10] ^= 0xFF;
        var tamperedSignature = $"{parts[0]}.{parts[1]}.{Base64UrlEncoder.Encode(signature)}";
        var none = $"{Base64UrlEncoder.Encode("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{parts[1]}.";

        using var http = new HttpClient();
        var jwks = JsonNode.Parse(await http.GetStringAsync(new Uri($"{Issuer}/jwks")))!["keys"]![0]!;
        using var rsa = RSA.Create();
        rsa.ImportParameters(new RSAParameters { Modulus = Base64UrlEncoder.DecodeBytes(jwks["n"]!.GetValue<string>()), Exponent = Base64UrlEncoder.DecodeBytes(jwks["e"]!.GetValue<string>()) });
        var header = Base64UrlEncoder.Encode($"{{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"{jwks["kid"]}\"}}");
        var hmacKeys = new[] { Encoding.ASCII.GetBytes(rsa.ExportSubjectPublicKeyInfoPem()), rsa.ExportSubjectPublicKeyInfo(), rsa.ExportRSAPublicKey() };
        var confused = hmacKeys.Select(key => $"{header}.{parts[1]}.{Base64UrlEncoder.Encode(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes($"{header}.{parts[1]}")))}");

        foreach (var forged in new[] { tamperedPayload, tamperedSignature, none }.Concat(confused))
        {
            await ExpectInvalidTokenAsync(forged);
        }
    }

    [Fact]
    public async Task TokensSignedWithTheProvidersOwnKey_ButWrongInOneClaim_AreRejected()
    {
        var now = DateTime.UtcNow;
        await ExpectInvalidTokenAsync(Sign(Claims(), expires: now.AddSeconds(-5), notBefore: now.AddMinutes(-10)));
        await ExpectInvalidTokenAsync(Sign(Claims(), notBefore: now.AddMinutes(5), expires: now.AddMinutes(10)));
        await ExpectInvalidTokenAsync(Sign(Claims(audience: "api://someone-else")));
        await ExpectInvalidTokenAsync(Sign(Claims(issuer: "http://127.0.0.1:1/not-ours")));
        await ExpectInvalidTokenAsync(Sign(Claims(), kid: "a-key-nobody-published", key: RSA.Create(2048)));

        (await CallMeAsync(Sign(Claims()))).Status.ShouldBe(HttpStatusCode.OK); // the control: a correct one passes

        var noScope = await CallMeAsync(Sign(Claims(scope: "Something.Else")));
        noScope.Status.ShouldBe(HttpStatusCode.Forbidden);
        noScope.Code.ShouldBe("insufficient_scope");
        noScope.Raw.Headers.WwwAuthenticate.ToString().ShouldContain("insufficient_scope");
    }

    [Fact]
    public async Task ASecondProviderInstance_SharingTheKeys_ButWithAnotherIssuer_IsRejected()
    {
        var port = HostProcess.FreePort();
        var info = new ProcessStartInfo("node", [Path.Combine(StackEnvironment.RepositoryRoot, "local", "oidc-provider.mjs"), "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data-dir", OidcDataDir])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment.Remove("OIDC_ISSUER");
        using var rogue = Process.Start(info)!;
        var output = new StringBuilder();
        rogue.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        rogue.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        rogue.BeginOutputReadLine();
        rogue.BeginErrorReadLine();
        try
        {
            var rogueIssuer = $"http://127.0.0.1:{port}";
            var tokens = await RetryAsync(() => LocalTokens.SignInAsync(rogueIssuer, "alice", "alice-pw"), () => output.ToString());
            var header = JsonNode.Parse(Base64UrlEncoder.Decode(tokens.AccessToken.Split('.')[0]))!;
            header["kid"]!.GetValue<string>().ShouldBe(ProviderKey().KeyId); // really the same key
            await ExpectInvalidTokenAsync(tokens.AccessToken);
        }
        finally
        {
            rogue.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task ExpiredApiKey_IsRejected()
    {
        using var alice = new Api(fixture.Host.CreateClient(await LocalTokens.AccessTokenAsync("alice")));
        var created = await alice.PostAsync("/api/v1/api-keys", new { name = "short", expiresAt = DateTimeOffset.UtcNow.AddSeconds(3) });
        created.Status.ShouldBe(HttpStatusCode.Created, created.Body?.ToJsonString());
        (await CallMeAsync(created.Text("key"))).Status.ShouldBe(HttpStatusCode.OK);
        await Task.Delay(TimeSpan.FromSeconds(4));
        await ExpectInvalidTokenAsync(created.Text("key"));
    }

    private async Task ExpectInvalidTokenAsync(string token)
    {
        var response = await CallMeAsync(token);
        response.Status.ShouldBe(HttpStatusCode.Unauthorized, $"{token[..Math.Min(40, token.Length)]}…: {response.Body?.ToJsonString()}");
        response.Code.ShouldBe("invalid_token");
        response.Raw.Headers.WwwAuthenticate.ToString().ShouldContain("error=\"invalid_token\"");
    }

    private async Task<ApiResponse> CallMeAsync(string bearer)
    {
        using var api = new Api(fixture.Host.CreateClient(bearer));
        return await api.GetAsync("/api/v1/me");
    }

    private static async Task<T> RetryAsync<T>(Func<Task<T>> action, Func<string> diagnostics)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await action();
            }
            catch (HttpRequestException) when (attempt < 80)
            {
                await Task.Delay(250);
            }
            catch (HttpRequestException e)
            {
                throw new InvalidOperationException($"the second provider did not answer: {diagnostics()}", e);
            }
        }
    }
}
