using Engine.Models.Features;

namespace Engine.Models.Decisions;

/// <summary>
/// Builds the bid model's input for a (user, campaign) pair in the order its metadata names: <c>user.X</c> reads
/// the user's feature X, <c>campaign.X</c> the campaign's live delivery from the board. Compiled once per model.
/// </summary>
public sealed class BidFeatures
{
    private readonly Func<UserFeatureState, CampaignSnapshot, long, float>[] _readers;

    public BidFeatures(IReadOnlyList<string> names)
    {
        _readers = [.. names.Select(Compile)];
    }

    public int Width => _readers.Length;

    public void Read(UserFeatureState user, CampaignSnapshot campaign, long nowMs, Span<float> destination)
    {
        for (var i = 0; i < _readers.Length; i++) destination[i] = _readers[i](user, campaign, nowMs);
    }

    private static Func<UserFeatureState, CampaignSnapshot, long, float> Compile(string name)
    {
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        var (entity, feature) = dot < 0 ? ("", name) : (name[..dot], name[(dot + 1)..]);
        switch (entity)
        {
            case "user" when feature == "views_in_campaign_category_7d":
                return (u, c, now) => u.CategoryViews(c.Spec.Category, now);
            case "user" when feature == "share_of_views_in_campaign_category_7d":
                return (u, c, now) => u.CategoryViewShare(c.Spec.Category, now);
            case "user":
                var schema = UserFeatures.Schema([feature]);
                return (u, _, now) =>
                {
                    Span<float> one = stackalloc float[1];
                    schema.Read(u, now, one);
                    return one[0];
                };
            case "campaign":
                return feature switch
                {
                    "impressions_24h" => (_, c, _) => (float)c.Impressions24h,
                    "clicks_24h" => (_, c, _) => (float)c.Clicks24h,
                    "smoothed_ctr_24h" => (_, c, _) => (float)c.SmoothedCtr,
                    "smoothed_cvr_24h" => (_, c, _) => (float)c.SmoothedCvr,
                    _ => throw Unknown(name),
                };
            default:
                throw Unknown(name);
        }
    }

    private static ArgumentException Unknown(string name) =>
        new($"The bid model asks for feature '{name}', which the engine does not compute. Retrain it with ./engine train, or use a model whose model.json names only user.* features and campaign.impressions_24h, clicks_24h, smoothed_ctr_24h, smoothed_cvr_24h.");
}
