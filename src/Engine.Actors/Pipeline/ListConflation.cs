using Akka;
using Akka.Streams.Dsl;
using Engine.Models.Contracts;

namespace Engine.Actors.Pipeline;

/// <summary>
/// Under a backlog (a catch-up after an outage or a restart, a burst past what the node keeps up with) a user's clicks
/// are read together, and a list for each would be out of date before the storefront showed it. Of the records read
/// together, a page event followed by a later page event of the same user's session is marked
/// <see cref="DecodedRecord.ListSuperseded"/>: its actor applies it and decides its bid and churn as ever, and leaves the
/// list to the later event, which always sends one (docs/contracts.md). Records are read together only while every ask
/// the partition allows is in flight: under a backlog, or in a burst at a rate the node otherwise keeps up with.
/// Up to two windows of decoded records per partition wait here (one gathering, one going to the asks); at a revocation
/// they are still asked and decided here, and the partition's next owner replays them (same decision ids).
/// </summary>
public static class ListConflation
{
    /// <summary>Marks the records read together, at most <paramref name="window"/> at a time; 0 or 1 marks nothing.</summary>
    public static Flow<DecodedRecord, DecodedRecord, NotUsed> Flow(int window) => window <= 1
        ? Akka.Streams.Dsl.Flow.Create<DecodedRecord>()
        // Batch gathers only while downstream (the asks) backpressures; a record read alone goes on at once.
        : Akka.Streams.Dsl.Flow.Create<DecodedRecord>()
            .Batch(window, record => new List<DecodedRecord> { record }, (read, record) =>
            {
                read.Add(record);
                return read;
            })
            .SelectMany(read => read.Count == 1 ? read : TakenIn(read, Superseded(read)));

    /// <summary>The events a list follows, for a user who consents to personalisation (docs/contracts.md).</summary>
    public static bool ListsAfter(EventType type) => type is EventType.ProductView or EventType.Search or EventType.AddToCart or EventType.Purchase;

    /// <summary>For each of <paramref name="read"/>: a page event whose user has a later page event in the same session among them.</summary>
    internal static bool[] Superseded(List<DecodedRecord> read)
    {
        var superseded = new bool[read.Count];
        // From the last: the session of each user's next page event that will send a list (null when it may not: one without a
        // session, e.g. a server-side purchase, sends a list of its own and may leave the later click's a repeat, unsent; a search
        // sends none while its session has no clicks).
        var later = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = read.Count - 1; i >= 0; i--)
        {
            if (read[i].Decoded.Event is not { } e || !ListsAfter(e.Type)) continue;
            superseded[i] = e.SessionId is { } session && later.TryGetValue(e.UserId, out var laterSession) && laterSession == session;
            later[e.UserId] = e.Type == EventType.Search ? null : e.SessionId;
        }
        return superseded;
    }

    /// <summary>
    /// Each record, marked, as the asks take it in, stamped then: what waited here (up to a window's worth while the asks held back)
    /// waited to be taken in, which a bid's <c>tmax</c> counts from in replays faster than real time (<see cref="DecodedRecord.TmaxStart"/>).
    /// </summary>
    private static IEnumerable<DecodedRecord> TakenIn(List<DecodedRecord> read, bool[] superseded)
    {
        for (var i = 0; i < read.Count; i++) yield return read[i] with { ListSuperseded = superseded[i], ReceivedUtc = DateTime.UtcNow };
    }
}
