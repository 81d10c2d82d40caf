using System.Diagnostics;
using Engine.Actors.Features;
using Engine.Benchmarks;
using Engine.Models.Features;
using StackExchange.Redis;
var events = FeaturesBenchWorkload.Generate(100_000, 20_000, 42);
var sw = Stopwatch.StartNew();
var states = new Dictionary<string, UserFeatureState>();
var co = new List<string>();
foreach (var (e, p) in events) { if (!states.TryGetValue(e.UserId, out var s)) states[e.UserId] = s = new UserFeatureState(e.UserId); co.Clear(); s.Apply(e, p, co); }
Console.WriteLine($"pure user apply: {sw.ElapsedMilliseconds} ms");
sw.Restart();
long n = 0; foreach (var s in states.Values) n += s.DrainChanges().Set.Count;
Console.WriteLine($"drain: {sw.ElapsedMilliseconds} ms fields {n}");
using var redis = await ConnectionMultiplexer.ConnectAsync(args[0]);
var store = new FeatureStore(redis, new FeatureStoreOptions { KeyPrefix = "scratch:" + Guid.NewGuid() + ":" }, new FeatureMetrics());
var wb = new FeatureWriteBehind(store, new FeatureMetrics(), "t");
foreach (var chunk in events.Chunk(10_000))
{
    sw.Restart(); await wb.ApplyAsync(chunk); var a = sw.ElapsedMilliseconds;
    sw.Restart(); var batch = wb.TakeBatch(); var t = sw.ElapsedMilliseconds;
    sw.Restart(); var r = await store.FlushAsync(batch); var f = sw.ElapsedMilliseconds;
    Console.WriteLine($"apply {a} ms, take {t} ms ({batch.Writes.Count} writes, {batch.Writes.Sum(w => w.Changes.Set.Count)} fields), flush {f} ms ack={r.Acknowledged}");
}
