using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Agents.Identity.Tests.Infrastructure;

/// <summary>Mints test tokens: properly signed ones, and hand-crafted attacks.</summary>
public static class TestTokens
{
    public const string Audience = "api://agents";
    public const string Scope = "Agents.Use";
    public const string AppRole = "Agents.Invoke";

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    /// <summary>A delegated (user) token: <c>sub</c>, <c>name</c>, <c>scp</c>, valid for an hour.</summary>
    public static Dictionary<string, object> UserClaims(string subject = "user-1", string scp = Scope) => new()
    {
        ["sub"] = subject,
        ["name"] = "Ada Lovelace",
        ["preferred_username"] = "ada@example.test",
        ["scp"] = scp,
    };

    public static string Create(
        string issuer,
        IDictionary<string, object> claims,
        RsaSecurityKey? key = null,
        string audience = Audience,
        string type = "at+jwt",
        DateTime? expires = null,
        DateTime? notBefore = null,
        bool withExpiry = true)
    {
        var now = DateTime.UtcNow;
        var exp = expires ?? now.AddHours(1);
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Claims = claims,
            SigningCredentials = new SigningCredentials(key ?? TestKeys.Primary, SecurityAlgorithms.RsaSha256),
            TokenType = type,
            NotBefore = notBefore ?? exp.AddHours(-2),
            IssuedAt = notBefore ?? exp.AddHours(-2),
        };
        if (withExpiry)
        {
            descriptor.Expires = exp;
        }

        return Handler.CreateToken(descriptor);
    }

    /// <summary>Header and payload as given, signature bytes as given (or none): for attacks the handler won't mint.</summary>
    public static string Craft(object header, object payload, Func<byte[], byte[]>? sign)
    {
        var signingInput = Segment(header) + "." + Segment(payload);
        var signature = sign is null ? "" : Base64UrlEncoder.Encode(sign(Encoding.ASCII.GetBytes(signingInput)));
        return signingInput + "." + signature;
    }

    public static Dictionary<string, object> Payload(string issuer, IDictionary<string, object> claims)
    {
        var now = DateTimeOffset.UtcNow;
        var payload = new Dictionary<string, object>(claims)
        {
            ["iss"] = issuer,
            ["aud"] = Audience,
            ["nbf"] = now.AddMinutes(-5).ToUnixTimeSeconds(),
            ["iat"] = now.AddMinutes(-5).ToUnixTimeSeconds(),
            ["exp"] = now.AddHours(1).ToUnixTimeSeconds(),
        };
        return payload;
    }

    public static byte[] HmacSha256(byte[] key, byte[] data) => HMACSHA256.HashData(key, data);

    public static string Segment(object value) => Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(value));

    /// <summary>Replaces the payload segment, keeping header and signature.</summary>
    public static string WithPayload(string token, object payload)
    {
        var parts = token.Split('.');
        return $"{parts[0]}.{Segment(payload)}.{parts[2]}";
    }

    public static string DecodePayload(string token) => Base64UrlEncoder.Decode(token.Split('.')[1]);
}
