using System.Text.Json;
using System.Text.Json.Serialization;

namespace Engine.Models.Contracts;

/// <summary>
/// Reads <c>event_time</c> only with its UTC offset (<c>Z</c> or <c>±hh:mm</c>), as the contract asks. Without one,
/// the JSON reader would take the node's local time zone, so two nodes in different zones would place the same event at
/// different times: its windows and the ids of the decisions derived from them (a churn alert's, a pacing tick's) would
/// differ after a rebalance.
/// </summary>
public sealed class EventTimeConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
            throw new JsonException("event_time must be an ISO-8601 string with its UTC offset, e.g. 2026-11-29T10:00:03+00:00");
        var hasOffset = reader.ValueIsEscaped || reader.HasValueSequence ? HasOffset(System.Text.Encoding.UTF8.GetBytes(reader.GetString()!)) : HasOffset(reader.ValueSpan);
        if (!hasOffset)
            throw new JsonException("event_time has no UTC offset: write it as 2026-11-29T10:00:03Z or 2026-11-29T10:00:03+01:00 (without one it would be read in the node's time zone)");
        return reader.GetDateTimeOffset();
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    private static bool HasOffset(ReadOnlySpan<byte> value) =>
        value.Length > 10 && (value[^1] is (byte)'Z' or (byte)'z' || (value.Length > 16 && value[^6] is (byte)'+' or (byte)'-' && value[^3] == (byte)':'));
}
