namespace Engine.Models.Features;

/// <summary>
/// One feature, declared once: its name (see <see cref="FeatureNames"/>), the entity it describes, its window,
/// its aggregation, and how it is computed from the entity's state at a read time (unix ms).
/// </summary>
public sealed record FeatureDefinition<TState>(
    string Name, string Entity, string Window, string Aggregation, Func<TState, long, double> Compute);

/// <summary>
/// A model's input order compiled against a catalog once, so each read is a loop over delegates writing into the
/// caller's buffer: no lookups by name and no allocation per read.
/// </summary>
public sealed class FeatureSchema<TState>
{
    private readonly Func<TState, long, double>[] _computes;

    private FeatureSchema(IReadOnlyList<string> names, Func<TState, long, double>[] computes)
    {
        Names = names;
        _computes = computes;
    }

    public IReadOnlyList<string> Names { get; }
    public int Length => _computes.Length;

    public static FeatureSchema<TState> Compile(IReadOnlyList<FeatureDefinition<TState>> catalog, IReadOnlyList<string> names)
    {
        var byName = catalog.ToDictionary(d => d.Name, StringComparer.Ordinal);
        var computes = new Func<TState, long, double>[names.Count];
        for (var i = 0; i < names.Count; i++)
        {
            if (!byName.TryGetValue(names[i], out var definition))
                throw new ArgumentException(
                    $"Unknown feature '{names[i]}' for {catalog.FirstOrDefault()?.Entity ?? "this entity"}; known: {string.Join(", ", byName.Keys)}",
                    nameof(names));
            computes[i] = definition.Compute;
        }
        return new FeatureSchema<TState>([.. names], computes);
    }

    /// <summary>Writes the features, in schema order, into <paramref name="destination"/> (at least <see cref="Length"/> long).</summary>
    public void Read(TState state, long nowMs, Span<float> destination)
    {
        if (destination.Length < _computes.Length)
            throw new ArgumentException($"Buffer holds {destination.Length} values, the schema has {_computes.Length}", nameof(destination));
        for (var i = 0; i < _computes.Length; i++) destination[i] = (float)_computes[i](state, nowMs);
    }
}
