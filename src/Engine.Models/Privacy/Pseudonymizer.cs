using System.Security.Cryptography;
using System.Text;

namespace Engine.Models.Privacy;

/// <summary>
/// Turns a user id into the pseudonym kept at rest (Redis keys, due-lists, logs): HMAC-SHA256 under a secret key from
/// configuration, 128 bits in base64url. Without the key a pseudonym cannot be linked back to the id, not even by
/// hashing a list of known ids; with it, the engine finds the same keys again after a restart or on another node.
/// Decisions still carry the raw id: their consumers know their own users.
/// </summary>
public sealed class Pseudonymizer
{
    /// <summary>Bytes of key the HMAC wants at least (its block is 64; fewer makes guessing the key easier).</summary>
    public const int MinimumKeyBytes = 32;
    private readonly byte[] _key;

    public Pseudonymizer(byte[] key)
    {
        if (key.Length < MinimumKeyBytes)
            throw new ArgumentException($"the pseudonymisation key must have at least {MinimumKeyBytes} bytes (it has {key.Length}); " +
                                        "generate one with: openssl rand -base64 32", nameof(key));
        _key = key.ToArray();
    }

    /// <summary>From the configured secret, base64 (e.g. <c>openssl rand -base64 32</c>).</summary>
    public static Pseudonymizer FromBase64(string secret)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(secret);
        }
        catch (FormatException)
        {
            throw new ArgumentException("the pseudonymisation key is not base64; generate one with: openssl rand -base64 32", nameof(secret));
        }
        return new Pseudonymizer(key);
    }

    /// <summary>
    /// The key used when configuration sets none (<c>Privacy:PseudonymKey</c>): public, so for development and tests only;
    /// anyone holding it can link pseudonyms to ids by hashing candidates. <c>run</c> warns when it is in use.
    /// </summary>
    public const string DevelopmentKey = "ZW5naW5lLWRldmVsb3BtZW50LXBzZXVkb255bS1rZXk=";

    /// <summary>The pseudonymizer under <see cref="DevelopmentKey"/>.</summary>
    public static Pseudonymizer Development { get; } = FromBase64(DevelopmentKey);

    public string Pseudonym(string userId)
    {
        // Ids are short; a long one (records may reach 64 KiB) goes to the heap rather than deep into the stack.
        var maxBytes = Encoding.UTF8.GetMaxByteCount(userId.Length);
        Span<byte> input = maxBytes <= 512 ? stackalloc byte[512] : new byte[maxBytes];
        var length = Encoding.UTF8.GetBytes(userId, input);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_key, input[..length], mac);
        return Convert.ToBase64String(mac[..16]).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
