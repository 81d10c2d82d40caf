using Engine.Actors.Features;

namespace Engine.Actors.Tests.Features;

public sealed class ChangesPoolTests
{
    [Fact]
    public void An_events_changes_are_reused_and_a_whole_states_are_left_to_the_collector()
    {
        var pool = new ChangesPool();
        var small = pool.Rent();
        for (var i = 0; i < 20; i++) small.Add($"m:{i}", i);
        pool.Return(small);
        Assert.Same(small, pool.Rent()); // emptied and reused: no allocation per event once warm

        // A heavy user's whole state (a restart or a handover marks every field): before 2026-12-06 it went back to the pool
        // with its lists and bytes, and every such drain stayed on the heap for the node's lifetime.
        var whole = pool.Rent();
        for (var i = 0; i < 2_000; i++) whole.Add($"m:{i}", 1_000_000.5 + i);
        pool.Return(whole);
        var next = pool.Rent();
        Assert.NotSame(whole, next);
        Assert.True(next.Set.Capacity <= 256 && next.Values.Capacity <= 16 * 1024, $"{next.Set.Capacity} fields, {next.Values.Capacity} bytes kept");
    }
}
