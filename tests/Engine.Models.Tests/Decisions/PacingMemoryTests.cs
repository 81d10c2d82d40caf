using Engine.Models.Decisions;
using Engine.Models.Features;

namespace Engine.Models.Tests.Decisions;

/// <summary>What a campaign's pacing keeps in Redis, and what a build before a change still reads of it.</summary>
public sealed class PacingMemoryTests
{
    /// <summary>
    /// The clock's start is kept in a field of its own beside the memory, whose string keeps the six fields a build before it
    /// parses: written into the string (as on 2026-12-07 for a while), a rollback read every campaign's memory as none, and
    /// each went back to multiplier 1 (a review).
    /// </summary>
    [Fact]
    public void The_clocks_start_round_trips_beside_a_memory_of_six_fields()
    {
        var memory = new PacingMemory(new PacingState(0.5, 0.25, 0.5), LastTick: 120, LastEmittedTick: 118, ExhaustedTick: -1, ClockStartTick: 100);
        var campaign = new CampaignFeatureState("c-1");
        campaign.SetPacing(memory.Format());
        campaign.SetPacingClock(memory.ClockStartTick);
        Assert.Equal(6, memory.Format().Split(',').Length);

        var restored = new CampaignFeatureState("c-1");
        restored.Restore(campaign.DrainChanges().Set.Select(f => KeyValuePair.Create(f.Field, f.Text)));
        Assert.Equal(memory, PacingMemory.Parse(restored.Pacing, restored.PacingClock));
        // Stored before the clock's start was kept: a clock started at an unknown tick.
        Assert.Equal(-1, PacingMemory.Parse(restored.Pacing).ClockStartTick);
    }
}
