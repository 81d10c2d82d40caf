using Engine.Models.Contracts;

namespace Engine.FaultTests.Harness;

/// <summary>
/// A deterministic valid clickstream for the fault tests: event n depends only on n. Event times advance 50 ms per
/// event (200,000 events span under 3 hours, inside every 24 h and 7 d window, so each count shows every event), and
/// each user's events are in time order, so none is late. Two choices keep decisions comparable across a crash:
/// bid requests allow 10 minutes (never dropped as late under any load here), and each purchase has a session of its
/// own (the user actor's in-memory "bought this session" set is then the same after a restart as before).
/// </summary>
public sealed class FaultEvents(int users)
{
    public static readonly DateTimeOffset Start = new(2026, 11, 2, 8, 0, 0, TimeSpan.Zero);
    public const int Campaigns = 5;

    public ClickEvent Event(long n)
    {
        var r = Mix(n);
        var user = (int)(r % (ulong)users);
        var roll = (int)(r >> 20) % 100;
        var item = $"i-{(r >> 28) % 1_500}";
        var campaign = $"k-{(r >> 40) % Campaigns}";
        var session = $"s-{user}-{n / ((long)users * 20)}";
        var e = new ClickEvent
        {
            EventId = $"e-{n}",
            EventTime = Start.AddMilliseconds(50 * n),
            UserId = $"u-{user}",
            SessionId = session,
            Type = EventType.PageView,
        };
        return roll switch
        {
            < 35 => e with { Type = EventType.ProductView, ItemId = item, Category = $"c-{(r >> 28) % 1_500 % 20}" },
            < 50 => e,
            < 58 => e with { Type = EventType.Search, Query = "shoes" },
            < 66 => e with { Type = EventType.AddToCart, ItemId = item },
            < 68 => e with { Type = EventType.RemoveFromCart, ItemId = item },
            < 72 => e with { Type = EventType.Purchase, ItemId = item, Price = 1 + (r >> 50) % 100, Quantity = 1 + (int)(r % 3), SessionId = $"p-{n}", CampaignId = roll % 2 == 0 ? campaign : null },
            < 82 => e with { Type = EventType.AdImpression, CampaignId = campaign, Price = 0.002m },
            < 85 => e with { Type = EventType.AdClick, CampaignId = campaign, Price = 0.3m },
            _ => e with
            {
                Type = EventType.BidRequest,
                BidRequest = new BidRequest { Id = $"br-{n}", Imp = [new Impression { Id = "1", BidFloor = 0.5m }], CandidateCampaigns = [campaign], Tmax = 600_000 },
            },
        };
    }

    /// <summary>SplitMix64: a well-spread 64-bit value from n.</summary>
    private static ulong Mix(long n)
    {
        var z = (ulong)n + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
