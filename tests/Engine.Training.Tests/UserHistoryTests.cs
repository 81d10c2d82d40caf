using Engine.Models.Contracts;
using Engine.Models.Features;
using Engine.Training.Data;
using Engine.Training.Features;

namespace Engine.Training.Tests;

public sealed class UserHistoryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 10, 12, 0, 0, TimeSpan.Zero);

    private static ClickEvent Event(EventType type, TimeSpan before, string session, decimal? price = null, string? category = null) => new()
    {
        EventId = Guid.NewGuid().ToString(), EventTime = T0 - before, UserId = "u", SessionId = session, Type = type, Price = price, Quantity = price is null ? null : 1, Category = category,
    };

    [Fact]
    public void Features_count_only_events_before_the_instant_in_each_window()
    {
        var history = new UserHistory();
        history.Add(Event(EventType.Purchase, TimeSpan.FromDays(10), "s1", 30m));
        history.Add(Event(EventType.ProductView, TimeSpan.FromHours(3), "s2", category: "shoes"));
        history.Add(Event(EventType.AddToCart, TimeSpan.FromMinutes(30), "s3", category: "hats"));
        history.Add(Event(EventType.ProductView, TimeSpan.FromMinutes(2), "s3", category: "hats"));
        history.Add(Event(EventType.ProductView, -TimeSpan.FromMinutes(1), "s3")); // after the instant: ignored

        var v = new float[FeatureNames.User.Count];
        history.WriteAt(T0, v);
        float F(string name) => v[FeatureIndex.User[name]];

        Assert.Equal(1, F("product_view_5m"));
        Assert.Equal(1, F("product_view_1h"));
        Assert.Equal(2, F("product_view_24h"));
        Assert.Equal(1, F("add_to_cart_1h"));
        Assert.Equal(0, F("purchase_7d"));
        Assert.Equal(30, F("spend_30d"));
        Assert.Equal(1, F("orders_30d"));
        Assert.Equal(30, F("avg_order_value_30d"));
        Assert.Equal(2, F("distinct_categories_24h"));
        Assert.Equal(120, F("seconds_since_last_event"));
        Assert.Equal(10 * 86_400, F("seconds_since_last_purchase"));
        Assert.Equal(2, F("sessions_7d"));
        Assert.Equal(1, F("cart_adds_without_purchase_24h"));
    }

    [Fact]
    public void A_user_who_never_bought_reads_as_never()
    {
        var history = new UserHistory();
        history.Add(Event(EventType.PageView, TimeSpan.FromHours(1), "s1"));
        var v = new float[FeatureNames.User.Count];
        history.WriteAt(T0, v);
        Assert.Equal(UserHistory.Never, v[FeatureIndex.User["seconds_since_last_purchase"]]);
    }
}
