using Engine.Actors.Kafka;
using Engine.Models.Contracts;
using Engine.Models.Features;

namespace Engine.Actors.Pipeline;

/// <summary>A consumed record with its decoding outcome (an event to apply, or the reason it is dead-lettered) and when the stream took it in.</summary>
public sealed record DecodedRecord(CommittableMessage Message, Decoded Decoded, DateTime ReceivedUtc)
{
    public EventPosition Position => new(Message.Record.Partition, Message.Record.Offset);

    /// <summary>A later page event of the same user's session was read with this one: that event's list replaces this one's (<see cref="ListConflation"/>).</summary>
    public bool ListSuperseded { get; init; }

    /// <summary>For a campaign-event forward: its clickstream position (<see cref="ForwardOrigin"/>); null for other records.</summary>
    public EventPosition? Origin => ForwardOrigin.Read(Message.Record.Headers);

    /// <summary>For a campaign-event forward: when its clickstream record reached Kafka (<see cref="ForwardOrigin"/>); null for other records.</summary>
    public DateTime? OriginArrivedUtc => ForwardOrigin.ReadArrival(Message.Record.Headers);

    /// <summary>
    /// How far an event's time may be ahead of its record's Kafka timestamp. One event stamped days ahead (a device whose
    /// clock is set wrong) would move its partition's event-time clock past every quiet user's due time, so the churn
    /// sweeper would alert them all, and would age its user's windows; it is dead-lettered instead.
    /// </summary>
    public static readonly TimeSpan MaxAheadOfRecord = TimeSpan.FromHours(1);

    /// <param name="route">With <paramref name="partitions"/>: the key an event must have been partitioned by.</param>
    public static DecodedRecord From(CommittableMessage message, EntityRoute? route = null, int? partitions = null)
    {
        var now = DateTime.UtcNow;
        var decoded = ClickEventCodec.Decode(message.Record.Value);
        if (decoded.Event is { } evt && (AheadOfRecord(evt, KafkaArrival.Of(message.Record.TimestampUtc, now)) ?? Misrouted(evt, message.Record.Partition, route, partitions)) is { } problem)
            decoded = Decoded.Fail(problem);
        return new(message, decoded, now);
    }

    /// <summary>When the record reached Kafka, as far as this node can tell (<see cref="KafkaArrival"/>): what a bid's tmax runs from.</summary>
    public DateTime ArrivedUtc => KafkaArrival.Of(Message.Record.TimestampUtc, ReceivedUtc);

    /// <summary>When a bid request's <c>tmax</c> started: its arrival in Kafka, or the node's intake in replays faster than real time (<see cref="DecisionPipelineSettings.TmaxFromIntake"/>).</summary>
    public DateTimeOffset TmaxStart(bool fromIntake) => new((fromIntake ? ReceivedUtc : ArrivedUtc).Ticks, TimeSpan.Zero);

    /// <summary>
    /// An event on another partition than its key's: the engine finds a user's shard, and for an erasure the partition to
    /// wait for, from the user id; an event elsewhere would be decided by a node that does not own that user, keep an entity
    /// alive that never passivates, and outlive an erasure. Typically a producer on librdkafka's default partitioner
    /// (<c>consistent_random</c>, CRC32) rather than murmur2, or a topic whose partitions were added.
    /// </summary>
    private static string? Misrouted(ClickEvent evt, int partition, EntityRoute? route, int? partitions)
    {
        if (route is null || partitions is not { } n || route.Key(evt) is not { } key) return null;
        var expected = Engine.Models.Routing.KafkaPartitioner.Partition(key, n);
        return expected == partition ? null
            : $"misrouted: {route.KeyField} {key} belongs to partition {expected} of {n} (murmur2 of the key, as Kafka's Java client partitions) but " +
              $"arrived on partition {partition}; produce keyed by {route.KeyField} with the murmur2 partitioner (librdkafka: partitioner=murmur2_random)";
    }

    /// <remarks>
    /// Against <see cref="KafkaArrival"/> (the record's timestamp, or the node's clock when earlier or absent): a producer that
    /// stamps its records with the event's own time (a common choice) would otherwise carry a wrong clock into both.
    /// </remarks>
    private static string? AheadOfRecord(ClickEvent evt, DateTime reference)
    {
        var ahead = evt.EventTime.UtcDateTime - reference;
        return ahead <= MaxAheadOfRecord ? null
            : $"invalid: event_time {evt.EventTime:O} is {ahead.TotalHours:F1} h after the record's Kafka timestamp (or the node's clock, if earlier) {reference:O}; at most {MaxAheadOfRecord.TotalHours:F0} h ahead is accepted (a client clock set wrong?)";
    }
}
