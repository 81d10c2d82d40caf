using Engine.Models.Contracts;
using Engine.Models.Features;
using FsCheck;
using FsCheck.Fluent;

namespace Engine.Testing.Features;

/// <summary>
/// A random delivery of clickstream events as Kafka would make it: a few users on two partitions, event times that
/// advance by seconds to days, some out of order (within the lateness) and some too late, then a replay of a
/// suffix (at-least-once redelivery after a restart). <see cref="ReadAt"/> is a read time at or after the last event.
/// </summary>
public sealed record FeatureScenario(IReadOnlyList<(ClickEvent Event, EventPosition Position)> Deliveries, int FirstDeliveries, DateTimeOffset ReadAt)
{
    public static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly TimeSpan Lateness = TimeSpan.FromMinutes(10);
    private const int Fields = 12;

    public static Arbitrary<FeatureScenario> Arbitrary(int maxEvents = 120) => Arb.From(
        from events in Gen.ListOf(Gen.ArrayOf(Gen.Choose(0, 1_000_000), Fields)).Select(l => l.Take(maxEvents).ToList())
        from replayFrom in Gen.Choose(0, 100)
        from readDelay in Gen.Elements(0L, 20_000L, 180_000L, 2 * 3_600_000L, 2 * 86_400_000L, 20 * 86_400_000L)
        select Build(events, replayFrom, readDelay));

    public static FeatureScenario Build(IReadOnlyList<int[]> draws, int replayPercent, long readDelayMs)
    {
        var first = new List<(ClickEvent, EventPosition)>();
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
            var user = r[0] % 3;
            var partition = user == 1 ? 1 : 0;
            first.Add((Event(r, $"u{user}", cursor - jitter, first.Count), new EventPosition(partition, nextOffset[partition]++)));
        }
        var replayStart = first.Count * replayPercent / 100;
        var deliveries = first.Concat(first.Skip(replayStart)).ToList();
        var last = first.Count == 0 ? Start : first.Max(d => d.Item1.EventTime);
        return new FeatureScenario(deliveries, first.Count, last.AddMilliseconds(readDelayMs));
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
