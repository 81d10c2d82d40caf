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
    private double[] _keys = new double[64];
    private int[] _ahead = new int[64];
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

    /// <summary>Adds to the item's score, from 0 when it has none in this request (<c>Set(item, Get(item) + value)</c> in one lookup).</summary>
    public void Add(int item, double value)
    {
        if (_stamps[item] == _generation)
        {
            _values[item] += value;
            return;
        }
        Touch(item);
        _values[item] = 0d + value; // as Get's 0 plus value: -0 becomes +0 exactly as before
    }

    /// <summary>0-based rank set by <see cref="Rank"/> for a wanted item, or <paramref name="absent"/> for an item without a score.</summary>
    public int RankOf(int item, int absent) => _stamps[item] == _generation ? _ranks[item] : absent;

    public double Max()
    {
        if (Count == 0) return 1;
        var max = double.MinValue;
        foreach (var item in Touched) max = Math.Max(max, _values[item]);
        return max;
    }

    /// <summary>
    /// Ranks the touched items, strongest first, ties by item index, as far as the weakest of <paramref name="wanted"/>
    /// this source holds: <see cref="RankOf"/> is then exact for every wanted item (whatever is ahead of one is ahead of
    /// the weakest), and the tail behind it, most of a source's items, is never sorted.
    /// </summary>
    public void Rank(ReadOnlySpan<int> wanted)
    {
        var order = new ByScore(_values);
        var weakest = -1;
        foreach (var item in wanted)
            if (Contains(item) && (weakest < 0 || order.Compare(item, weakest) > 0)) weakest = item;
        if (weakest < 0) return;
        if (_ahead.Length < Count) _ahead = new int[Math.Max(Count, _ahead.Length * 2)];
        var kept = 0;
        foreach (var item in Touched)
        {
            // A NaN makes the comparer's order partial: rank everything, as a full sort would.
            if (double.IsNaN(_values[item]))
            {
                Touched.CopyTo(_ahead);
                kept = Count;
                break;
            }
            if (order.Compare(item, weakest) <= 0) _ahead[kept++] = item;
        }
        var ahead = _ahead.AsSpan(0, kept);
        SortByScore(ahead);
        for (var r = 0; r < ahead.Length; r++) _ranks[ahead[r]] = r;
    }

    /// <summary>
    /// The order of <see cref="ByScore"/>, faster: a sort of the negated scores as keys (the runtime's primitive path, no
    /// comparer call per comparison; it was ~5% of the engine's CPU at steady state), then each run of equal scores by
    /// item. Scores with a NaN take the comparer's path, whose order for NaN differs from the keys'.
    /// </summary>
    private void SortByScore(Span<int> touched)
    {
        if (_keys.Length < touched.Length) _keys = new double[Math.Max(touched.Length, _keys.Length * 2)];
        var keys = _keys.AsSpan(0, touched.Length);
        for (var i = 0; i < touched.Length; i++)
        {
            var value = _values[touched[i]];
            if (double.IsNaN(value))
            {
                touched.Sort(new ByScore(_values));
                return;
            }
            keys[i] = -value;
        }
        keys.Sort(touched);
        for (var start = 0; start < keys.Length;)
        {
            var end = start + 1;
            while (end < keys.Length && keys[end] == keys[start]) end++;
            if (end - start > 1) touched[start..end].Sort();
            start = end;
        }
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
