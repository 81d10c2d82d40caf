using System.Text.Json;
using System.Text.Json.Serialization;

namespace Engine.Models.Contracts;

/// <summary>
/// Reads a timestamp only with its UTC offset (<c>Z</c> or <c>±hh:mm</c>), as the contracts ask. Without one, the JSON
/// reader would take the node's local time zone, so two nodes in different zones would place the same instant differently:
/// an event's windows and the ids of the decisions derived from them (a churn alert's, a pacing tick's) would differ after a
/// rebalance, and a campaign's flight would start and end at different times on different nodes.
/// </summary>
public abstract class OffsetTimeConverter(string field) : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
            throw new JsonException($"{field} must be an ISO-8601 string with its UTC offset, e.g. 2026-11-29T10:00:03+00:00");
        var hasOffset = reader.ValueIsEscaped || reader.HasValueSequence ? HasOffset(System.Text.Encoding.UTF8.GetBytes(reader.GetString()!)) : HasOffset(reader.ValueSpan);
        if (!hasOffset)
            throw new JsonException($"{field} has no UTC offset: write it as 2026-11-29T10:00:03Z or 2026-11-29T10:00:03+01:00 (without one it would be read in the node's time zone)");
        return reader.GetDateTimeOffset();
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    private static bool HasOffset(ReadOnlySpan<byte> value) =>
        value.Length > 10 && (value[^1] is (byte)'Z' or (byte)'z' || (value.Length > 16 && value[^6] is (byte)'+' or (byte)'-' && value[^3] == (byte)':'));
}

/// <summary>An event's <c>event_time</c>.</summary>
public sealed class EventTimeConverter() : OffsetTimeConverter("event_time");

/// <summary>A booking's <c>flight_start</c> and <c>flight_end</c> (before 2026-12-06 read in each node's time zone when they had no offset).</summary>
public sealed class FlightTimeConverter() : OffsetTimeConverter("flight_start and flight_end");
