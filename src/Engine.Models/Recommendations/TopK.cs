namespace Engine.Models.Recommendations;

/// <summary>
/// The best <c>k</c> of many values in a total order, without sorting them all: a heap of the k best so far with the
/// weakest on top, then the heap sorted in place. With a total order (ties broken by a unique key) the result is exactly
/// the first k of a full sort, so callers get the same output as sorting everything, for n log k instead of n log n work.
/// Generic over a struct comparer and sorted by the heap itself: <c>Span.Sort(IComparer)</c> would box the comparer and
/// wrap it in a delegate on every call (three per recommendation).
/// </summary>
internal static class TopK
{
    /// <summary>Moves the best <paramref name="k"/> of <paramref name="all"/> (first in <paramref name="order"/>) to its front, best first; returns how many.</summary>
    public static int Select<T, TOrder>(Span<T> all, int k, TOrder order) where TOrder : IComparer<T>
    {
        if (k <= 0) return 0;
        var heap = all[..Math.Min(k, all.Length)];
        // The first k form a heap whose root is the weakest of them (the last in the order).
        for (var i = heap.Length / 2 - 1; i >= 0; i--) SiftDown(heap, i, order);
        for (var i = heap.Length; i < all.Length; i++)
        {
            if (order.Compare(all[i], heap[0]) >= 0) continue;
            heap[0] = all[i];
            SiftDown(heap, 0, order);
        }
        // Heapsort: the weakest left goes to the end of what remains, so the k end up best first.
        for (var end = heap.Length - 1; end > 0; end--)
        {
            (heap[0], heap[end]) = (heap[end], heap[0]);
            SiftDown(heap[..end], 0, order);
        }
        return heap.Length;
    }

    private static void SiftDown<T, TOrder>(Span<T> heap, int i, TOrder order) where TOrder : IComparer<T>
    {
        while (true)
        {
            var (left, right, weakest) = (2 * i + 1, 2 * i + 2, i);
            if (left < heap.Length && order.Compare(heap[left], heap[weakest]) > 0) weakest = left;
            if (right < heap.Length && order.Compare(heap[right], heap[weakest]) > 0) weakest = right;
            if (weakest == i) return;
            (heap[i], heap[weakest]) = (heap[weakest], heap[i]);
            i = weakest;
        }
    }
}
