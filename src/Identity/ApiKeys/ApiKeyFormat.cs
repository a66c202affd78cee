using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Agents.Identity.Tokens;

namespace Agents.Identity.ApiKeys;

/// <summary>
/// The key format <c>agk_&lt;keyId&gt;_&lt;secret&gt;</c>: <c>keyId</c> is 12 base32 characters (names the key; not
/// secret), <c>secret</c> is 32 random bytes in base64url (43 characters). The visible prefix is <c>agk_&lt;keyId&gt;</c>.
/// </summary>
public static class ApiKeyFormat
{
    public const string Prefix = "agk_";
    public const int KeyIdLength = 12;
    private const int SecretBytes = 32;
    private const int SecretLength = 43; // base64url of 32 bytes, unpadded
    private const int KeyLength = 4 + KeyIdLength + 1 + SecretLength;
    private static readonly SearchValues<char> KeyIdAlphabet = SearchValues.Create("abcdefghijklmnopqrstuvwxyz234567");

    /// <summary>Whether a presented credential claims to be one of our keys (decides API key vs JWT path).</summary>
    public static bool HasPrefix(string credential) => credential.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>The part of a key that may be shown again: <c>agk_&lt;keyId&gt;</c>.</summary>
    public static string VisiblePrefix(string keyId) => Prefix + keyId;

    internal static (string KeyId, string Secret, string Key) Generate()
    {
        var keyId = StableIds.Base32(RandomNumberGenerator.GetBytes(8))[..KeyIdLength]; // 60 random bits
        var secret = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(SecretBytes));
        return (keyId, secret, $"{Prefix}{keyId}_{secret}");
    }

    /// <summary>Whether <paramref name="keyId"/> has the form of a key id (12 characters of the base32 alphabet).</summary>
    public static bool IsKeyId(string keyId) => keyId.Length == KeyIdLength && !keyId.AsSpan().ContainsAnyExcept(KeyIdAlphabet);

    /// <summary>Splits a presented key; false for anything not exactly of our format (no store look-up is made then).</summary>
    internal static bool TryParse(string key, [NotNullWhen(true)] out string? keyId, [NotNullWhen(true)] out string? secret)
    {
        keyId = secret = null;
        if (key.Length != KeyLength || !HasPrefix(key) || key[Prefix.Length + KeyIdLength] != '_')
        {
            return false;
        }

        var id = key.AsSpan(Prefix.Length, KeyIdLength);
        var value = key.AsSpan(Prefix.Length + KeyIdLength + 1);
        if (id.ContainsAnyExcept(KeyIdAlphabet) || !Base64Url.IsValid(value, out var decodedLength) || decodedLength != SecretBytes)
        {
            return false;
        }

        keyId = id.ToString();
        secret = value.ToString();
        return true;
    }

    /// <summary>
    /// SHA-256 of the secret, hex. A fast unsalted hash is right here: the secret is 256 random bits, so neither
    /// dictionaries nor brute force apply, and a slow password KDF would only cost CPU on every request.
    /// </summary>
    internal static string HashSecret(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>Compares in constant time, so response timing reveals nothing about the stored hash.</summary>
    internal static bool SecretMatches(string secret, string storedHash)
    {
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(secret));
        byte[] stored;
        try
        {
            stored = Convert.FromHexString(storedHash);
        }
        catch (FormatException)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(presented, stored);
    }
}
