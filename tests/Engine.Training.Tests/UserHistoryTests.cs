using Engine.Models.Contracts;
using Engine.Models.Features;
using Engine.Models.Features.State;
using Engine.Training.Data;
using Engine.Training.Features;

namespace Engine.Training.Tests;

/// <summary>Training reads user features with the engine's own code: what a model learns from is what it is served.</summary>
public sealed class UserHistoryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 10, 12, 0, 0, TimeSpan.Zero);

    private static ClickEvent Event(EventType type, TimeSpan before, string session, decimal? price = null, string? category = null, string? item = null) => new()
    {
        EventId = Guid.NewGuid().ToString(), EventTime = T0 - before, UserId = "u", SessionId = session, Type = type, Price = price,
        Quantity = price is null ? null : 1, Category = category, ItemId = item,
    };

    [Fact]
    public void Features_are_the_engines_own_at_the_instant()
    {
        var history = new UserHistory();
        history.Add(Event(EventType.Purchase, TimeSpan.FromDays(10), "s1", 30m, item: "p1"));
        history.Add(Event(EventType.ProductView, TimeSpan.FromHours(3), "s2", category: "shoes", item: "v1"));
        history.Add(Event(EventType.AddToCart, TimeSpan.FromMinutes(30), "s3", category: "hats", item: "c1"));
        history.Add(Event(EventType.ProductView, TimeSpan.FromMinutes(2), "s3", category: "hats", item: "v2"));

        var v = new float[FeatureNames.User.Count];
        history.WriteAt(T0, v);
        float F(string name) => v[FeatureIndex.User[name]];
        Assert.Equal(1, F("product_view_5m"));
        Assert.Equal(2, F("product_view_24h"));
        Assert.Equal(1, F("add_to_cart_1h"));
        Assert.Equal(30, F("spend_30d"));
        Assert.Equal(1, F("orders_30d"));
        Assert.Equal(2, F("distinct_categories_24h"));
        Assert.Equal(120, F("seconds_since_last_event"));
        Assert.Equal(10 * 86_400, F("seconds_since_last_purchase"));
        Assert.Equal(2, F("sessions_7d"));
        Assert.Equal(1, F("cart_adds_without_purchase_24h"));

        // The same events through the engine's state, read the way the churn model's features are read live.
        var live = new UserFeatureState("u");
        var offset = 0;
        foreach (var e in new[] { Event(EventType.Purchase, TimeSpan.FromDays(10), "s1", 30m, item: "p1"), Event(EventType.ProductView, TimeSpan.FromHours(3), "s2", category: "shoes", item: "v1"),
                     Event(EventType.AddToCart, TimeSpan.FromMinutes(30), "s3", category: "hats", item: "c1"), Event(EventType.ProductView, TimeSpan.FromMinutes(2), "s3", category: "hats", item: "v2") })
            live.Apply(e, new EventPosition(0, offset++));
        var served = new float[FeatureNames.User.Count];
        UserFeatures.All.Read(live, live.ReadTimeMs(T0), served);
        Assert.Equal(served, v);
    }

    [Fact]
    public void Values_the_old_offline_code_computed_its_own_way_are_now_the_engines()
    {
        var history = new UserHistory();
        history.Add(Event(EventType.PageView, TimeSpan.FromDays(2), "s0"));
        // Three items bought in one session: three purchase events, as the engine counts orders (the old code counted sessions: 1).
        foreach (var item in new[] { "a", "b", "c" }) history.Add(Event(EventType.Purchase, TimeSpan.FromHours(1), "s1", 20m, item: item));
        var v = new float[FeatureNames.User.Count];
        history.WriteAt(T0, v);
        Assert.Equal(3, v[FeatureIndex.User["orders_30d"]]);
        Assert.Equal(20, v[FeatureIndex.User["avg_order_value_30d"]]);

        // Never bought: the engine's cap (30 days), not the old code's 90.
        var never = new UserHistory();
        never.Add(Event(EventType.PageView, TimeSpan.FromHours(1), "s1"));
        never.WriteAt(T0, v);
        Assert.Equal((float)Resolutions.MaxSecondsSince, v[FeatureIndex.User["seconds_since_last_purchase"]]);
    }

    [Fact]
    public void Features_as_of_an_instant_before_an_event_already_added_are_refused()
    {
        var history = new UserHistory();
        history.Add(Event(EventType.PageView, -TimeSpan.FromMinutes(1), "s1")); // after T0
        Assert.Throws<InvalidOperationException>(() => history.WriteAt(T0, new float[FeatureNames.User.Count]));
    }
}
