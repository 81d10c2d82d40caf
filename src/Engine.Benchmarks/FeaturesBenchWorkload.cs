using Engine.Models.Contracts;
using Engine.Models.Features;

namespace Engine.Benchmarks;

/// <summary>
/// The bench's events as the engine's consumers see them: the clickstream in order (for the baseline), the same split
/// by partition (each partition has its owner), and the campaign events re-keyed by campaign on their own topic.
/// </summary>
public sealed record FeaturesBenchEvents(
    List<(ClickEvent Event, EventPosition Position)> Clickstream,
    List<(ClickEvent Event, EventPosition Position)>[] ByPartition,
    List<(ClickEvent Event, EventPosition Position)> CampaignEvents)
{
    public static FeaturesBenchEvents From(List<(ClickEvent Event, EventPosition Position)> clickstream)
    {
        var byPartition = new List<(ClickEvent, EventPosition)>[FeaturesBenchWorkload.Partitions];
        for (var p = 0; p < byPartition.Length; p++) byPartition[p] = [];
        var campaignOffsets = new long[FeaturesBenchWorkload.Partitions];
        var campaignEvents = new List<(ClickEvent, EventPosition)>();
        foreach (var (e, position) in clickstream)
        {
            byPartition[position.Partition].Add((e, position));
            // What the user pipeline forwards to engine.campaign-events, keyed (here: partitioned) by campaign.
            if (e.CampaignId is not { } campaign || e.Type is not (EventType.AdImpression or EventType.AdClick or EventType.Purchase)) continue;
            var partition = (int)(Fnv(campaign) % FeaturesBenchWorkload.Partitions);
            campaignEvents.Add((e, new EventPosition(partition, campaignOffsets[partition]++)));
        }
        return new FeaturesBenchEvents(clickstream, byPartition, campaignEvents);
    }

    /// <summary>A stable hash (string.GetHashCode is randomised per process): the same campaign, the same partition, every run.</summary>
    private static uint Fnv(string key)
    {
        var hash = 2166136261;
        foreach (var c in key) hash = (hash ^ c) * 16777619;
        return hash;
    }
}

/// <summary>
/// A simulator-like clickstream from a seeded Random: skewed users (a few heavy, a long tail), sessions of 30 min,
/// a realistic mix of event types, event time advancing ~2 ms per event with a little disorder, and Kafka
/// positions over 8 partitions keyed by user.
/// </summary>
public static class FeaturesBenchWorkload
{
    public const int Partitions = 8;
    private static readonly DateTimeOffset Start = new(2026, 11, 29, 0, 0, 0, TimeSpan.Zero);
    private static readonly (EventType Type, int Weight)[] Mix =
    [
        (EventType.PageView, 25), (EventType.ProductView, 30), (EventType.Search, 8), (EventType.AddToCart, 8),
        (EventType.RemoveFromCart, 2), (EventType.Purchase, 3), (EventType.AdImpression, 17), (EventType.AdClick, 2), (EventType.BidRequest, 5),
    ];

    public static List<(ClickEvent Event, EventPosition Position)> Generate(int count, int users, int seed)
    {
        var random = new Random(seed);
        var offsets = new long[Partitions];
        var events = new List<(ClickEvent, EventPosition)>(count);
        var totalWeight = Mix.Sum(m => m.Weight);
        // One string per distinct id, as a consumer's decoded events hold short-lived copies: the bench keeps all its
        // events live, and a million events' own copies would make the GC scan a heap the engine never has.
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        string Name(string text) => names.TryGetValue(text, out var shared) ? shared : names[text] = text;
        for (var i = 0; i < count; i++)
        {
            var user = (int)(users * Math.Pow(random.NextDouble(), 2));
            var time = Start.AddMilliseconds(i * 2 - random.Next(0, 3000));
            var type = Pick(random.Next(totalWeight), totalWeight);
            var itemIndex = (int)(5000 * Math.Pow(random.NextDouble(), 3));
            var item = type is EventType.ProductView or EventType.AddToCart or EventType.RemoveFromCart or EventType.Purchase
                ? Name($"item-{itemIndex}") : null;
            var campaign = type is EventType.AdImpression or EventType.AdClick ? Name($"campaign-{random.Next(100)}") : null;
            var e = new ClickEvent
            {
                EventId = $"e-{i}",
                EventTime = time,
                UserId = Name($"user-{user}"),
                SessionId = Name($"user-{user}-{time.ToUnixTimeSeconds() / 1800}"),
                Type = type,
                ItemId = item,
                Category = item is null ? null : Name($"cat-{itemIndex % 32}"),
                Price = type == EventType.Purchase ? random.Next(500, 20_000) / 100m : type is EventType.AdImpression or EventType.AdClick ? random.Next(1, 300) / 1000m : null,
                Quantity = type == EventType.Purchase ? 1 : null,
                CampaignId = campaign,
                Query = type == EventType.Search ? "shoes" : null,
            };
            var partition = (user * 31 + 7) % Partitions;
            events.Add((e, new EventPosition(partition, offsets[partition]++)));
        }
        return events;
    }

    private static EventType Pick(int draw, int total)
    {
        foreach (var (type, weight) in Mix)
        {
            if (draw < weight) return type;
            draw -= weight;
        }
        throw new ArgumentOutOfRangeException(nameof(draw), draw, $"beyond the total weight {total}");
    }
}
