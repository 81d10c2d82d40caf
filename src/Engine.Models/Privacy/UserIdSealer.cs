using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Engine.Models.Privacy;

/// <summary>
/// Keeps a user id at rest only encrypted (AES-256-GCM, key derived from the pseudonymisation secret), where the engine
/// must later name the user again: the churn due-list, whose sweeper wakes the user's actor and names them in the alert
/// for the CRM. Deterministic (the nonce is an HMAC of the id, as in SIV modes): the same id always seals to the same
/// member, so a later event moves that user's entry instead of adding another, and erasure can remove it by id. Equal
/// ids are linkable, as they already are through the pseudonym; without the secret nothing else is learned.
/// </summary>
public sealed class UserIdSealer
{
    private const int NonceBytes = 12, TagBytes = 16;
    private readonly byte[] _encryptionKey;
    private readonly byte[] _nonceKey;

    public UserIdSealer(byte[] secret)
    {
        if (secret.Length < Pseudonymizer.MinimumKeyBytes)
            throw new ArgumentException($"the pseudonymisation key must have at least {Pseudonymizer.MinimumKeyBytes} bytes", nameof(secret));
        // Separate keys for separate jobs: neither the HMAC pseudonyms nor the nonces reveal the encryption key.
        _encryptionKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, info: "engine/user-id/aes-gcm"u8.ToArray());
        _nonceKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, info: "engine/user-id/nonce"u8.ToArray());
    }

    public static UserIdSealer FromBase64(string secret) => new(Convert.FromBase64String(secret));

    /// <summary>The sealer under <see cref="Pseudonymizer.DevelopmentKey"/> (development and tests only).</summary>
    public static UserIdSealer Development { get; } = FromBase64(Pseudonymizer.DevelopmentKey);

    /// <summary>The id encrypted and authenticated, base64url: nonce, ciphertext, tag.</summary>
    public string Seal(string userId)
    {
        var plain = Encoding.UTF8.GetBytes(userId);
        var sealedBytes = new byte[NonceBytes + plain.Length + TagBytes];
        var nonce = sealedBytes.AsSpan(0, NonceBytes);
        HMACSHA256.HashData(_nonceKey, plain).AsSpan(0, NonceBytes).CopyTo(nonce);
        using var aes = new AesGcm(_encryptionKey, TagBytes);
        aes.Encrypt(nonce, plain, sealedBytes.AsSpan(NonceBytes, plain.Length), sealedBytes.AsSpan(NonceBytes + plain.Length));
        return Base64Url.EncodeToString(sealedBytes);
    }

    /// <summary>The id, or null when <paramref name="sealedId"/> was not sealed under this key (another key, or altered).</summary>
    public string? TryOpen(string sealedId)
    {
        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(sealedId);
        }
        catch (FormatException)
        {
            return null;
        }
        if (bytes.Length < NonceBytes + TagBytes) return null;
        var plain = new byte[bytes.Length - NonceBytes - TagBytes];
        using var aes = new AesGcm(_encryptionKey, TagBytes);
        try
        {
            aes.Decrypt(bytes.AsSpan(0, NonceBytes), bytes.AsSpan(NonceBytes, plain.Length), bytes.AsSpan(NonceBytes + plain.Length), plain);
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
        return Encoding.UTF8.GetString(plain);
    }
}
