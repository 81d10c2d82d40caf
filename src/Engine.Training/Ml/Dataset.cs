namespace Engine.Training.Ml;

/// <summary>A binary-labelled feature matrix with its column names: what every trainer here takes.</summary>
public sealed record Dataset(IReadOnlyList<string> Names, List<float[]> Rows, List<bool> Labels)
{
    public static Dataset Empty(IReadOnlyList<string> names) => new(names, [], []);

    public int Count => Rows.Count;
    public double PositiveRate => Labels.Count(l => l) / (double)Math.Max(1, Labels.Count);

    public void Add(float[] row, bool label)
    {
        if (row.Length != Names.Count) throw new ArgumentException($"row has {row.Length} values for {Names.Count} features");
        Rows.Add(row);
        Labels.Add(label);
    }

    public Dataset Subset(IEnumerable<int> indices)
    {
        var subset = Empty(Names);
        foreach (var i in indices) subset.Add(Rows[i], Labels[i]);
        return subset;
    }

    /// <summary>Per-feature medians: the baseline vector explanations compare against.</summary>
    public float[] Medians() => Enumerable.Range(0, Names.Count)
        .Select(f => Rows.Select(r => r[f]).OrderBy(v => v).ElementAtOrDefault(Rows.Count / 2)).ToArray();

    /// <summary>Indices split into k folds by a seeded shuffle.</summary>
    public int[][] Folds(int k, int seed)
    {
        var shuffled = Enumerable.Range(0, Count).ToArray();
        new Random(seed).Shuffle(shuffled);
        return Enumerable.Range(0, k).Select(f => shuffled.Where((_, i) => i % k == f).ToArray()).ToArray();
    }
}
