using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Engine.Models.Contracts;

/// <summary>
/// Decision ids are a hash of the decision kind and what caused it, so the same input replayed after a
/// crash yields the same id and a consumer can drop the duplicate.
/// </summary>
public static class DecisionIds
{
    private const byte Separator = 0x1f;

    /// <summary>Hex of the first 16 bytes of SHA-256 over the UTF-8 of kind and causes joined by U+001F.</summary>
    public static string Derive(string kind, params ReadOnlySpan<string> causes)
    {
        // Encoded straight into one buffer (stack for the usual few hundred bytes): an id per decision, so no text is built.
        var max = Encoding.UTF8.GetMaxByteCount(kind.Length);
        foreach (var cause in causes) max += 1 + Encoding.UTF8.GetMaxByteCount(cause.Length);
        byte[]? rented = null;
        var buffer = max <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(max));
        var length = Encoding.UTF8.GetBytes(kind, buffer);
        foreach (var cause in causes)
        {
            buffer[length++] = Separator;
            length += Encoding.UTF8.GetBytes(cause, buffer[length..]);
        }
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(buffer[..length], hash);
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        return Convert.ToHexStringLower(hash[..16]);
    }
}
