namespace Engine.Models.Recommendations;

/// <summary>
/// The best <c>k</c> of many values in a total order, without sorting them all: a heap of the k best so far with the
/// weakest on top, then the k sorted. With a total order (ties broken by a unique key) the result is exactly the first k
/// of a full sort, so callers get the same output as sorting everything, for n log k instead of n log n work.
/// </summary>
internal static class TopK
{
    /// <summary>Moves the best <paramref name="k"/> of <paramref name="all"/> (first in <paramref name="order"/>) to its front, best first; returns how many.</summary>
    public static int Select<T, TOrder>(Span<T> all, int k, TOrder order) where TOrder : IComparer<T>
    {
        if (k <= 0) return 0;
        if (all.Length <= k)
        {
            all.Sort(order);
            return all.Length;
        }
        // The first k form a heap whose root is the weakest of them (the last in the order).
        var heap = all[..k];
        for (var i = k / 2 - 1; i >= 0; i--) SiftDown(heap, i, order);
        for (var i = k; i < all.Length; i++)
        {
            if (order.Compare(all[i], heap[0]) >= 0) continue;
            heap[0] = all[i];
            SiftDown(heap, 0, order);
        }
        heap.Sort(order);
        return k;
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
