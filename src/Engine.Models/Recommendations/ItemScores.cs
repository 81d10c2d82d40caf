namespace Engine.Models.Recommendations;

/// <summary>
/// A sparse score per item over a dense array indexed by item, reused from request to request: a generation stamp
/// marks which entries belong to the current request, so starting a request costs nothing however many items exist,
/// and the touched items are listed in the order they were first given a score.
/// </summary>
internal sealed class ItemScores(int items)
{
    private readonly double[] _values = new double[items];
    private readonly int[] _stamps = new int[items];
    private readonly int[] _ranks = new int[items];
    private int[] _touched = new int[64];
    private int _generation = 1;

    public int Count { get; private set; }
    /// <summary>Scores by item; an entry is meaningful only for an item in <see cref="Touched"/>.</summary>
    public double[] Values => _values;
    public ReadOnlySpan<int> Touched => _touched.AsSpan(0, Count);

    public void Clear()
    {
        Count = 0;
        if (++_generation == int.MaxValue)
        {
            Array.Clear(_stamps);
            _generation = 1;
        }
    }

    public bool Contains(int item) => _stamps[item] == _generation;

    /// <summary>The item's score, 0 when it has none in this request.</summary>
    public double Get(int item) => _stamps[item] == _generation ? _values[item] : 0;

    public void Set(int item, double value)
    {
        Touch(item);
        _values[item] = value;
    }

    /// <summary>0-based rank set by <see cref="Rank"/>, or <paramref name="absent"/> for an item without a score.</summary>
    public int RankOf(int item, int absent) => _stamps[item] == _generation ? _ranks[item] : absent;

    public double Max()
    {
        if (Count == 0) return 1;
        var max = double.MinValue;
        foreach (var item in Touched) max = Math.Max(max, _values[item]);
        return max;
    }

    /// <summary>Ranks the touched items, strongest first, ties by item index (sorts the touched list in that order).</summary>
    public void Rank()
    {
        var touched = _touched.AsSpan(0, Count);
        touched.Sort(new ByScore(_values));
        for (var r = 0; r < touched.Length; r++) _ranks[touched[r]] = r;
    }

    private void Touch(int item)
    {
        if (_stamps[item] == _generation) return;
        _stamps[item] = _generation;
        if (Count == _touched.Length) Array.Resize(ref _touched, Count * 2);
        _touched[Count++] = item;
    }

    /// <summary>Higher score first, then lower item index.</summary>
    public readonly struct ByScore(double[] values) : IComparer<int>
    {
        public int Compare(int a, int b) => values[a] != values[b] ? values[b].CompareTo(values[a]) : a.CompareTo(b);
    }
}
