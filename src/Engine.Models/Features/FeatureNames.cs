namespace Engine.Models.Features;

/// <summary>
/// The names every feature is known by: in Redis, in model metadata (<c>features</c>: the input order), and
/// in decision reasons. Agreed between the feature store and the models; docs/features.md defines each one.
/// Windowed counts are <c>{type}_{window}</c>, e.g. <c>product_view_1h</c>.
/// </summary>
public static class FeatureNames
{
    public static readonly string[] EventTypes =
        ["page_view", "product_view", "search", "add_to_cart", "remove_from_cart", "purchase", "ad_impression", "ad_click", "bid_request"];

    public static readonly string[] UserWindows = ["5m", "1h", "24h", "7d"];

    /// <summary>Per user, in this order: the windowed counts of each event type, then the rest.</summary>
    public static readonly IReadOnlyList<string> User =
    [
        .. EventTypes.SelectMany(t => UserWindows.Select(w => $"{t}_{w}")),
        "distinct_categories_24h",
        "spend_30d",
        "orders_30d",
        "avg_order_value_30d",
        "seconds_since_last_event",
        "seconds_since_last_purchase",
        "sessions_7d",
        "cart_adds_without_purchase_24h",
        "ad_impressions_24h",
        "ad_clicks_24h",
    ];

    public static readonly string[] CampaignWindows = ["1m", "15m", "1h", "24h"];

    /// <summary>Per campaign: impressions, clicks, conversions and spend per window, then smoothed rates.</summary>
    public static readonly IReadOnlyList<string> Campaign =
    [
        .. new[] { "impressions", "clicks", "conversions", "spend" }.SelectMany(m => CampaignWindows.Select(w => $"{m}_{w}")),
        "smoothed_ctr_24h",
        "smoothed_cvr_24h",
    ];

    /// <summary>Per item: popularity for candidate generation.</summary>
    public static readonly IReadOnlyList<string> Item =
        ["views_1h", "views_24h", "carts_1h", "carts_24h", "purchases_1h", "purchases_24h"];
}
