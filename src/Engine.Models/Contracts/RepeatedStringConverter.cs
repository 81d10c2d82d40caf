using System.Text.Json;
using System.Text.Json.Serialization;

namespace Engine.Models.Contracts;

/// <summary>
/// Reads a JSON string that repeats across events (a user, item, category, campaign or segment id; session ids in a
/// table of their own, <see cref="SessionIdConverter"/>) as the one instance decoded before, when its bytes match: no
/// string per event for them, and the strings a user's state keeps (session items) are the cached ones rather than a
/// new copy per event. A lossy, fixed-size table (a slot holds the latest value hashed there), safe across threads:
/// each slot is one immutable entry, replaced whole. Writes as usual.
/// </summary>
public class RepeatedStringConverter : JsonConverter<string>
{
    private protected const int Slots = 1 << 16; // 512 KiB of references: the users, items and categories of a busy node
    private const int LongestCached = 64;
    private static readonly Entry?[] Shared = new Entry?[Slots];
    private readonly Entry?[] _table;

    public RepeatedStringConverter() : this(Shared) { }

    private protected RepeatedStringConverter(Entry?[] table) => _table = table;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        // Escaped, split or long values, and other tokens, as the built-in converter reads them (same errors too).
        if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped || reader.HasValueSequence || reader.ValueSpan.Length > LongestCached)
            return reader.GetString();
        var utf8 = reader.ValueSpan;
        var hash = new HashCode();
        hash.AddBytes(utf8);
        ref var slot = ref _table[hash.ToHashCode() & (Slots - 1)];
        var entry = Volatile.Read(ref slot);
        if (entry is not null && utf8.SequenceEqual(entry.Utf8)) return entry.Value;
        // GetString validates the UTF-8, so a cached value's bytes are always valid ones.
        var value = reader.GetString()!;
        Volatile.Write(ref slot, new Entry(utf8.ToArray(), value));
        return value;
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    private protected sealed record Entry(byte[] Utf8, string Value);
}
