using System.Security.Cryptography;
using System.Text;

namespace Engine.Models.Contracts;

/// <summary>
/// Decision ids are a hash of the decision kind and what caused it, so the same input replayed after a
/// crash yields the same id and a consumer can drop the duplicate.
/// </summary>
public static class DecisionIds
{
    public static string Derive(string kind, params ReadOnlySpan<string> causes)
    {
        var text = new StringBuilder(kind);
        foreach (var cause in causes)
            text.Append('\u001f').Append(cause);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()), hash);
        return Convert.ToHexStringLower(hash[..16]);
    }
}
