using System.Buffers.Text;
using Confluent.Kafka;
using Engine.Models.Features;
using Engine.Models.Features.State;

namespace Engine.Actors.Pipeline;

/// <summary>
/// Where a campaign-event forward came from: its clickstream partition and offset, in the header <c>engine.origin</c>
/// as text (<c>3:120455</c>). A replay of the user stream forwards the same events again at new offsets of the
/// campaign-events topic; the campaign state counts each origin once (<see cref="CampaignFeatureState"/>), so the
/// re-sent forwards change nothing. And when its clickstream record reached Kafka, in <c>engine.arrived</c> (Unix ms as
/// text): an event's time is capped at it on the campaign stream, as on the user stream (before 2026-12-07 at the
/// forward's own arrival, so behind a lagging user stream an impression stamped ahead still moved pacing ahead; a review).
/// </summary>
public static class ForwardOrigin
{
    public const string Header = "engine.origin";
    public const string ArrivedHeader = "engine.arrived";

    /// <summary>One forward's headers, their text written straight as bytes (this is on the user stream's path, per ad event).</summary>
    public static Headers Headers(EventPosition origin, DateTime arrivedUtc)
    {
        Span<byte> text = stackalloc byte[32]; // an int, ':', a long: at most 11 + 1 + 20
        Utf8Formatter.TryFormat(origin.Partition, text, out var length);
        text[length++] = (byte)':';
        Utf8Formatter.TryFormat(origin.Offset, text[length..], out var written);
        Span<byte> arrived = stackalloc byte[20];
        Utf8Formatter.TryFormat(new DateTimeOffset(arrivedUtc.Ticks, TimeSpan.Zero).ToUnixTimeMilliseconds(), arrived, out var arrivedLength);
        return [new Header(Header, text[..(length + written)].ToArray()), new Header(ArrivedHeader, arrived[..arrivedLength].ToArray())];
    }

    /// <summary>
    /// When the forward's clickstream record reached Kafka, or null: not a forward (no <see cref="Header"/>: a record another
    /// producer wrote, whose headers the engine does not trust), or a forward of an older node (no <see cref="ArrivedHeader"/>).
    /// </summary>
    public static DateTime? ReadArrival(Headers? headers)
    {
        if (headers is null || !headers.TryGetLastBytes(Header, out _) || !headers.TryGetLastBytes(ArrivedHeader, out var value)) return null;
        return Utf8Parser.TryParse(value, out long ms, out var used) && used == value.Length && ms is >= 0 and <= 253_402_300_799_999
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime
            : null;
    }

    /// <summary>The origin in <paramref name="headers"/>, or null when there is none (a record not written by a forwarder) or it does not parse.</summary>
    public static EventPosition? Read(Headers? headers)
    {
        if (headers is null || !headers.TryGetLastBytes(Header, out var value)) return null;
        var colon = Array.IndexOf(value, (byte)':');
        if (colon <= 0
            || !Utf8Parser.TryParse(value.AsSpan(0, colon), out int partition, out var used) || used != colon || partition is < 0 or >= PartitionOffsets.MaxPartitions
            || !Utf8Parser.TryParse(value.AsSpan(colon + 1), out long offset, out used) || used != value.Length - colon - 1 || offset < 0)
            return null;
        return new EventPosition(partition, offset);
    }
}
