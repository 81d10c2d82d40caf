using Engine.Models.Features.State;

namespace Engine.Models.Tests.Features;

public sealed class KeyedCountsTests
{
    private const long Day = Resolutions.Day;

    [Fact]
    public void Window_sums_equal_a_brute_force_count_before_and_after_drain_and_restore()
    {
        var random = new Random(7);
        var counts = new KeyedCounts("cv", Day, 7, 4);
        var stored = new Dictionary<string, string>();
        var seen = new List<(string Key, long TimeMs)>();
        var watermark = 0L;
        for (var i = 0; i < 3_000; i++)
        {
            // Time moves ~20 days in all, with some events a little in the past: buckets fill, age out and reuse ring slots.
            var time = Math.Max(0, watermark + random.Next(-3_600_000, 600_000));
            watermark = Math.Max(watermark, time);
            counts.Prune(watermark);
            var key = $"k{random.Next(3)}";
            counts.Add(key, time, watermark);
            if (BucketSeries.Index(time, Day) > BucketSeries.Index(watermark, Day) - 7) seen.Add((key, time));
            if (i % 97 == 0) Drain(counts, stored);
        }
        Drain(counts, stored);
        var restored = new KeyedCounts("cv", Day, 7, 4);
        foreach (var (field, value) in stored) Assert.True(restored.TryRestore(field, value));
        foreach (var window in new[] { 1, 3, 7 })
        {
            foreach (var key in new[] { "k0", "k1", "k2" })
            {
                var current = BucketSeries.Index(watermark, Day);
                var expected = seen.Count(s => s.Key == key && BucketSeries.Index(s.TimeMs, Day) > current - window && BucketSeries.Index(s.TimeMs, Day) <= current);
                Assert.Equal(expected, counts.Sum(key, window, watermark));
                Assert.Equal(expected, restored.Sum(key, window, watermark));
            }
        }
    }

    [Fact]
    public void Past_capacity_the_key_seen_longest_ago_is_forgotten_and_deleted()
    {
        var counts = new KeyedCounts("cv", Day, 7, 2);
        counts.Add("old", 0, 0);
        counts.Add("mid", Day, Day);
        counts.Drain(new EntityChanges());
        counts.Add("new", 2 * Day, 2 * Day);
        var changes = new EntityChanges();
        counts.Drain(changes);
        Assert.Equal(["cv:old"], changes.Delete);
        Assert.Equal(0, counts.Sum("old", 7, 2 * Day));
        Assert.Equal(1, counts.Sum("new", 7, 2 * Day));
    }

    [Fact]
    public void Among_equally_stale_keys_a_reloaded_state_forgets_the_same_one_as_the_live_state()
    {
        // Three categories viewed the same day fill the cap; the next one evicts one of them. Live, the dictionary's order is
        // the order of first views; reloaded, the order the server returned the fields in (Redis and Garnet differ).
        var live = new KeyedCounts("cv", Day, 7, 3);
        foreach (var key in new[] { "shoes", "books", "audio" }) live.Add(key, 0, 0);
        var stored = new Dictionary<string, string>();
        Drain(live, stored);
        live.Add("games", 0, 0);

        foreach (var order in new[] { new[] { "cv:audio", "cv:books", "cv:shoes" }, ["cv:books", "cv:shoes", "cv:audio"] })
        {
            var reloaded = new KeyedCounts("cv", Day, 7, 3);
            foreach (var field in order) Assert.True(reloaded.TryRestore(field, stored[field]));
            reloaded.Add("games", 0, 0);
            foreach (var key in new[] { "shoes", "books", "audio", "games" })
                Assert.Equal(live.Sum(key, 7, 0), reloaded.Sum(key, 7, 0));
        }
        Assert.Equal(0, live.Sum("audio", 7, 0)); // the ordinally first of the equally stale
    }

    private static void Drain(KeyedCounts counts, Dictionary<string, string> stored)
    {
        var changes = new EntityChanges();
        counts.Drain(changes);
        foreach (var (field, value) in changes.Set) stored[field] = value;
        foreach (var field in changes.Delete) stored.Remove(field);
    }
}
