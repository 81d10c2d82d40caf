using Engine.Models.Contracts;
using Engine.Models.Features;
using FsCheck;
using FsCheck.Fluent;

namespace Engine.Testing.Features;

/// <summary>
/// A random delivery of clickstream events as Kafka would make it: a few users (3 to 6) on two partitions, event times
/// that advance by seconds to days, some out of order (within the lateness) and some too late; then a restart: at a random
/// point each partition is read again from a cut of its own (at-least-once redelivery from its last commit), and the
/// events after that point follow, new. <see cref="ReadAt"/> is a read time at or after the last event.
/// </summary>
/// <param name="Unique">Every event once, in order: what the deliveries amount to.</param>
/// <param name="Replayed">Where the redelivered events sit in <paramref name="Deliveries"/>: each a duplicate; the rest are not.</param>
public sealed record FeatureScenario(IReadOnlyList<(ClickEvent Event, EventPosition Position)> Deliveries,
    IReadOnlyList<(ClickEvent Event, EventPosition Position)> Unique, Range Replayed, DateTimeOffset ReadAt)
{
    public static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly TimeSpan Lateness = TimeSpan.FromMinutes(10);
    private const int Fields = 12;

    public static Arbitrary<FeatureScenario> Arbitrary(int maxEvents = 120) => Arb.From(
        from events in Gen.ListOf(Gen.ArrayOf(Gen.Choose(0, 1_000_000), Fields)).Select(l => l.Take(maxEvents).ToList())
        from users in Gen.Choose(3, 6)
        from restartAt in Gen.Choose(0, 100)
        from replayed0 in Gen.Choose(0, 100)
        from replayed1 in Gen.Choose(0, 100)
        from readDelay in Gen.Elements(0L, 20_000L, 180_000L, 2 * 3_600_000L, 2 * 86_400_000L, 20 * 86_400_000L)
        select Build(events, readDelay, users, restartAt, [replayed0, replayed1]));

    /// <param name="restartPercent">Where the restart comes, in percent of the events (100: after the last, nothing new follows).</param>
    /// <param name="replayedPercents">Per partition, how much of what it had delivered before the restart is delivered again
    /// (the share since its last commit).</param>
    public static FeatureScenario Build(IReadOnlyList<int[]> draws, long readDelayMs, int users = 3, int restartPercent = 100, int[]? replayedPercents = null)
    {
        var first = new List<(ClickEvent Event, EventPosition Position)>();
        var nextOffset = new long[2];
        var cursor = Start;
        foreach (var r in draws)
        {
            cursor += (r[2] % 10) switch
            {
                < 5 => TimeSpan.FromSeconds(r[3] % 31),
                < 8 => TimeSpan.FromSeconds(60 + r[3] % 540),
                8 => TimeSpan.FromMinutes(60 + r[3] % 240),
                _ => TimeSpan.FromHours(24 + r[3] % 48),
            };
            var jitter = (r[4] % 10) switch
            {
                < 7 => TimeSpan.Zero,
                < 9 => TimeSpan.FromSeconds(r[5] % 540),
                _ => TimeSpan.FromMinutes(11 + r[5] % 30),
            };
            var user = r[0] % users;
            var partition = user % 2 == 1 ? 1 : 0;
            first.Add((Event(r, $"u{user}", cursor - jitter, first.Count), new EventPosition(partition, nextOffset[partition]++)));
        }
        var restart = first.Count * restartPercent / 100;
        var before = first.Take(restart).ToList();
        var replayed = new List<(ClickEvent, EventPosition)>();
        for (var partition = 0; partition < 2; partition++)
        {
            var delivered = before.Where(d => d.Position.Partition == partition).ToList();
            var percent = replayedPercents?[partition] ?? 0;
            replayed.AddRange(delivered.Skip(delivered.Count - delivered.Count * percent / 100));
        }
        var deliveries = before.Concat(replayed).Concat(first.Skip(restart)).ToList();
        var last = first.Count == 0 ? Start : first.Max(d => d.Event.EventTime);
        return new FeatureScenario(deliveries, first, new Range(restart, restart + replayed.Count), last.AddMilliseconds(readDelayMs));
    }

    private static ClickEvent Event(int[] r, string user, DateTimeOffset time, int n)
    {
        var type = (EventType)(r[1] % 9);
        var item = type is EventType.ProductView or EventType.AddToCart or EventType.RemoveFromCart or EventType.Purchase ? $"i{r[6] % 6}" : null;
        var campaign = type is EventType.AdImpression or EventType.AdClick || (type == EventType.Purchase && r[9] % 2 == 0) ? $"k{r[9] % 3 % 2}" : null;
        return new ClickEvent
        {
            EventId = $"e{n}",
            EventTime = time,
            UserId = user,
            SessionId = r[8] % 5 == 4 ? null : $"s{r[8] % 4}",
            Type = type,
            ItemId = item,
            Category = type == EventType.ProductView && r[7] % 5 != 4 ? $"c{r[7] % 4}" : null,
            Price = type is EventType.Purchase or EventType.AdImpression or EventType.AdClick ? (r[10] % 10_000) / 100m : null,
            Quantity = type == EventType.Purchase ? 1 + r[11] % 3 : null,
            CampaignId = campaign,
            Query = type == EventType.Search ? "shoes" : null,
            BidRequest = type == EventType.BidRequest
                ? new BidRequest { Id = $"b{n}", Imp = [new Impression { Id = "1", BidFloor = 0.5m }], CandidateCampaigns = ["k0", "k1"] }
                : null,
        };
    }
}
