using Engine.Models.Features.State;

namespace Engine.Models.Features;

/// <summary>The item features, in <see cref="FeatureNames.Item"/> order; co-visited neighbours are read with <see cref="TopNeighbours.Top"/>.</summary>
public static class ItemFeatures
{
    private static readonly (string Name, int Metric)[] Metrics =
        [("views", ItemFeatureState.Views), ("carts", ItemFeatureState.Carts), ("purchases", ItemFeatureState.Purchases)];

    public static IReadOnlyList<FeatureDefinition<ItemFeatureState>> Definitions { get; } =
    [
        .. Metrics.SelectMany(m => new FeatureDefinition<ItemFeatureState>[]
        {
            new($"{m.Name}_1h", "item", "1h", "count", (s, now) => s.Minutes.Sum(m.Metric, 60, now)),
            new($"{m.Name}_24h", "item", "24h", "count", (s, now) => s.Hours.Sum(m.Metric, 24, now)),
        }),
    ];

    public static FeatureSchema<ItemFeatureState> Schema(IReadOnlyList<string> names) => FeatureSchema<ItemFeatureState>.Compile(Definitions, names);

    public static FeatureSchema<ItemFeatureState> All { get; } = Schema(FeatureNames.Item);
}
