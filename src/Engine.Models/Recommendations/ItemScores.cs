using System.Numerics;

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
    private double[] _keyItems = new double[64];
    private int[] _sorted = [];
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
    /// Ranks the wanted items this source holds among everything it scored, strongest first, ties by item index: each
    /// one's rank is the number of scored items before it in that order, counted over only the items up to the weakest
    /// wanted one (whatever is before a wanted item is before the weakest), with no sort. These are the positions a sort
    /// by <see cref="ByScore"/> gives; with a NaN, whose comparer order is partial, that sort is what ranks them.
    /// </summary>
    public void Rank(ReadOnlySpan<int> wanted)
    {
        var order = new ByScore(_values);
        var weakest = -1;
        foreach (var item in wanted)
            if (Contains(item) && (weakest < 0 || order.Compare(item, weakest) > 0)) weakest = item;
        if (weakest < 0) return;
        if (_keys.Length < Count)
        {
            var size = Math.Max(Count, _keys.Length * 2);
            (_keys, _keyItems) = (new double[size], new double[size]);
        }
        var ahead = 0;
        foreach (var item in Touched)
        {
            var value = _values[item];
            if (double.IsNaN(value))
            {
                RankBySort();
                return;
            }
            if (order.Compare(item, weakest) > 0) continue;
            _keys[ahead] = value;
            _keyItems[ahead++] = item;
        }
        foreach (var item in wanted)
            if (Contains(item)) _ranks[item] = CountBefore(_keys.AsSpan(0, ahead), _keyItems.AsSpan(0, ahead), _values[item], item);
    }

    /// <summary>How many of the (score, item) pairs come first in <see cref="ByScore"/> order: a higher score, or the same with a lower item.</summary>
    private static int CountBefore(ReadOnlySpan<double> keys, ReadOnlySpan<double> items, double value, double item)
    {
        var (score, id, before) = (new Vector<double>(value), new Vector<double>(item), Vector<long>.Zero);
        var i = 0;
        for (; i <= keys.Length - Vector<double>.Count; i += Vector<double>.Count)
        {
            var k = new Vector<double>(keys[i..]);
            // Lanes that come first are all ones (-1): subtracting counts them.
            before -= Vector.GreaterThan(k, score) | (Vector.Equals(k, score) & Vector.LessThan(new Vector<double>(items[i..]), id));
        }
        var count = (int)Vector.Sum(before);
        for (; i < keys.Length; i++)
            if (keys[i] > value || (keys[i] == value && items[i] < item)) count++;
        return count;
    }

    private void RankBySort()
    {
        if (_sorted.Length < Count) _sorted = new int[Math.Max(Count, _sorted.Length * 2)];
        var all = _sorted.AsSpan(0, Count);
        Touched.CopyTo(all);
        all.Sort(new ByScore(_values));
        for (var r = 0; r < all.Length; r++) _ranks[all[r]] = r;
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
