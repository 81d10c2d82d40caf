using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Engine.Models.Experiments;

/// <summary>
/// Deterministic assignment of users to variants: SHA-256 of "experiment/user" read as a number in [0, 1), placed on the
/// variants' cumulative shares. No state to share between nodes or keep across restarts, and because the experiment's
/// name salts the hash, a user's arm in one experiment says nothing about their arm in another.
/// </summary>
public static class VariantAssignment
{
    public static Variant Assign(Experiment experiment, string userId)
    {
        var point = UnitInterval(experiment.Name, userId);
        var cumulative = 0.0;
        foreach (var variant in experiment.Variants)
        {
            cumulative += variant.Share;
            if (point < cumulative) return variant;
        }
        return experiment.Variants[^1]; // shares adding up to 1 - epsilon
    }

    /// <summary>The user's uniform point in [0, 1) for this experiment.</summary>
    public static double UnitInterval(string experiment, string userId)
    {
        // On the stack for ids of ordinary length; a long one (a user id may take most of a 64 KiB record) on the heap.
        var size = Encoding.UTF8.GetMaxByteCount(experiment.Length + userId.Length + 1);
        Span<byte> input = size <= 512 ? stackalloc byte[size] : new byte[size];
        var length = Encoding.UTF8.GetBytes(experiment, input);
        input[length++] = (byte)'/';
        length += Encoding.UTF8.GetBytes(userId, input[length..]);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(input[..length], hash);
        // The top 53 bits: every double in [0, 1) on a 2^-53 grid, equally likely.
        return (BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11) * (1.0 / (1UL << 53));
    }
}
