using System;
using System.Security.Cryptography;

namespace SpliceModule.Transfer;

/// <summary>
/// A fresh random secret for one data connection: the token a connecting peer must present first,
/// and for Encrypted the keys of each direction. Made by the side that starts the copy and sent
/// over the PSSession only (which SSH already encrypts and authenticates), never reused.
/// </summary>
internal static class ChannelSecret
{
    /// <summary>256 bits: the token and each AES-256-GCM key.</summary>
    public const int Length = 32;

    public static byte[] New() => RandomNumberGenerator.GetBytes(Length);

    public static string NewText() => Convert.ToHexString(New());

    /// <summary>The secret as it went over the session, refused when it is not one of ours.</summary>
    public static byte[] Parse(string? text, string what)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromHexString(text ?? string.Empty);
        }
        catch (FormatException)
        {
            bytes = Array.Empty<byte>();
        }

        return bytes.Length == Length ? bytes : throw new ArgumentException($"The {what} must be {Length} bytes in hexadecimal.");
    }

    /// <summary>The secret or key of one connection of a striped copy, derived from the copy's
    /// (HKDF-SHA256, the purpose and the stripe's number as its info): every connection presents
    /// its own token and seals under its own key, and no stripe uses the copy's secret itself.</summary>
    public static byte[] ForStripe(byte[] secret, string purpose, int stripe) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, Length, info: System.Text.Encoding.ASCII.GetBytes($"SpliceModule {purpose} of stripe {stripe}"));

    /// <summary>Compares in time that does not depend on where the bytes differ.</summary>
    public static bool Matches(ReadOnlySpan<byte> presented, ReadOnlySpan<byte> expected) =>
        CryptographicOperations.FixedTimeEquals(presented, expected);
}
