using Engine.Actors.Kafka;
using Engine.Models.Contracts;
using Engine.Models.Features;

namespace Engine.Actors.Pipeline;

/// <summary>A consumed record with its decoding outcome (an event to apply, or the reason it is dead-lettered) and when the stream took it in.</summary>
public sealed record DecodedRecord(CommittableMessage Message, Decoded Decoded, DateTime ReceivedUtc)
{
    public EventPosition Position => new(Message.Record.Partition, Message.Record.Offset);

    /// <summary>For a campaign-event forward: its clickstream position (<see cref="ForwardOrigin"/>); null for other records.</summary>
    public EventPosition? Origin => ForwardOrigin.Read(Message.Record.Headers);

    public static DecodedRecord From(CommittableMessage message) =>
        new(message, ClickEventCodec.Decode(message.Record.Value), DateTime.UtcNow);
}
