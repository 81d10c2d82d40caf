using StackExchange.Redis;

namespace Engine.Actors.Features;

/// <summary>
/// Reused <see cref="HashEntry"/> arrays for the flush's HSETs, by exact length (SE.Redis sends a whole array): a flush
/// of thousands of entity writes otherwise allocates an array of ~64-byte entries per write. An array goes back only
/// once its transaction has completed (nothing queued still reads it), cleared so it holds no drained values.
/// Shared by the owners of one store: locked (an uncontended lock per rent and per return).
/// </summary>
internal sealed class HashEntryPool
{
    private const int LongestPooled = 64;
    private const int KeptPerLength = 4096;
    private readonly Stack<HashEntry[]>[] _byLength = new Stack<HashEntry[]>[LongestPooled + 1];

    public HashEntryPool()
    {
        for (var i = 0; i < _byLength.Length; i++) _byLength[i] = new Stack<HashEntry[]>();
    }

    public HashEntry[] Rent(int length)
    {
        if (length > LongestPooled) return new HashEntry[length];
        var stack = _byLength[length];
        lock (stack)
        {
            if (stack.Count > 0) return stack.Pop();
        }
        return new HashEntry[length];
    }

    public void Return(List<HashEntry[]> arrays)
    {
        foreach (var array in arrays)
        {
            if (array.Length > LongestPooled) continue;
            Array.Clear(array);
            var stack = _byLength[array.Length];
            lock (stack)
            {
                if (stack.Count < KeptPerLength) stack.Push(array);
            }
        }
        arrays.Clear();
    }
}
