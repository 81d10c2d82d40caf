using Engine.Models.Features;

namespace Engine.Models.Scoring;

/// <summary>
/// The input order of each model the engine serves, as written in its model.json <c>features</c>; a
/// <see cref="Scorer"/> loaded with one of these refuses a model trained on another order.
/// </summary>
public static class ModelSchemas
{
    /// <summary>Churn: the whole user feature vector.</summary>
    public static IReadOnlyList<string> Churn => FeatureNames.User;

    /// <summary>
    /// Click-through and conversion for a (user, campaign) pair at bid time: a few user features, the user's interest in
    /// the campaign's category, and the campaign's recent delivery with its smoothed rates.
    /// </summary>
    public static readonly IReadOnlyList<string> Bid =
    [
        "user.product_view_24h",
        "user.sessions_7d",
        "user.ad_impressions_24h",
        "user.ad_clicks_24h",
        "user.seconds_since_last_purchase",
        "user.views_in_campaign_category_7d",
        "user.share_of_views_in_campaign_category_7d",
        "campaign.impressions_24h",
        "campaign.clicks_24h",
        "campaign.smoothed_ctr_24h",
        "campaign.smoothed_cvr_24h",
    ];
}
