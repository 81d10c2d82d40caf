using System.Buffers.Text;
using Confluent.Kafka;
using Engine.Models.Features;

namespace Engine.Actors.Pipeline;

/// <summary>
/// Where a campaign-event forward came from: its clickstream partition and offset, in the header <c>engine.origin</c>
/// as text (<c>3:120455</c>). A replay of the user stream forwards the same events again at new offsets of the
/// campaign-events topic; the campaign state counts each origin once (<see cref="CampaignFeatureState"/>), so the
/// re-sent forwards change nothing.
/// </summary>
public static class ForwardOrigin
{
    public const string Header = "engine.origin";

    /// <summary>One forward's header, its text written straight as bytes (this is on the user stream's path, per ad event).</summary>
    public static Headers Headers(EventPosition origin)
    {
        Span<byte> text = stackalloc byte[32]; // an int, ':', a long: at most 11 + 1 + 20
        Utf8Formatter.TryFormat(origin.Partition, text, out var length);
        text[length++] = (byte)':';
        Utf8Formatter.TryFormat(origin.Offset, text[length..], out var written);
        return [new Header(Header, text[..(length + written)].ToArray())];
    }

    /// <summary>The origin in <paramref name="headers"/>, or null when there is none (a record not written by a forwarder) or it does not parse.</summary>
    public static EventPosition? Read(Headers? headers)
    {
        if (headers is null || !headers.TryGetLastBytes(Header, out var value)) return null;
        var colon = Array.IndexOf(value, (byte)':');
        if (colon <= 0
            || !Utf8Parser.TryParse(value.AsSpan(0, colon), out int partition, out var used) || used != colon || partition < 0
            || !Utf8Parser.TryParse(value.AsSpan(colon + 1), out long offset, out used) || used != value.Length - colon - 1 || offset < 0)
            return null;
        return new EventPosition(partition, offset);
    }
}
