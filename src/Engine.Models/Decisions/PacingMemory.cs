using System.Globalization;

namespace Engine.Models.Decisions;

/// <summary>
/// What a campaign actor's pacing remembers between events, kept with its delivery state in Redis
/// (<see cref="Features.CampaignFeatureState.Pacing"/>): the controller's state and the clock's last and last-emitted
/// ticks. Before, it lived in the actor only: after a restart, an idle stop or a move the next adjustment reported
/// <c>previous_multiplier</c> 1, the hosting node bid near 1 while the others kept the last multiplier sent, and a
/// campaign whose events came more than the idle period apart only ever started its clock and never paced. Whether the
/// budget is exhausted is not kept: a reloaded actor finds out again on its next event and sends the same exhausted
/// adjustment (same id), so one lost in a crash is sent again. An exhausted campaign's clock is stopped (<c>LastTick</c>
/// -1, as before the first event), so a raised budget restarts it after a reload as without one. <c>ExhaustedTick</c>: the
/// tick the budget ran out in this exhaustion (-1 while it has not), part of the exhausted adjustment's id, so each
/// exhaustion at the same budget has an id of its own and a re-send of the same one repeats it. <c>ClockStartTick</c>: the tick
/// the running clock started at (-1: unknown, a memory stored before it was kept), so the pacer compares the spend since then
/// with the plan for that time, not a whole hour of it; stored in a field of its own (<c>pacing_clock</c>), not in
/// <see cref="Format"/>'s string, which a build before it (a rollback) would read as no memory at all.
/// </summary>
public readonly record struct PacingMemory(PacingState State, long LastTick, long LastEmittedTick, long ExhaustedTick = -1, long ClockStartTick = -1)
{
    public static PacingMemory Initial { get; } = new(PacingState.Initial, -1, -1);

    /// <summary>"multiplier,integral,last emitted,last tick,last emitted tick,exhausted tick", invariant and round-trippable (not the clock's start).</summary>
    public string Format() => string.Join(',',
        State.Multiplier.ToString("R", CultureInfo.InvariantCulture), State.Integral.ToString("R", CultureInfo.InvariantCulture),
        State.LastEmitted.ToString("R", CultureInfo.InvariantCulture), LastTick.ToString(CultureInfo.InvariantCulture),
        LastEmittedTick.ToString(CultureInfo.InvariantCulture), ExhaustedTick.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// The stored memory, or <see cref="Initial"/> when there is none or it does not parse (pacing then starts afresh). A
    /// memory stored before the exhausted tick was kept (five fields) reads as not exhausted. <paramref name="clockStartTick"/>:
    /// the clock's start, kept beside it (-1: unknown).
    /// </summary>
    public static PacingMemory Parse(string? stored, long clockStartTick = -1)
    {
        var parts = stored?.Split(',');
        if (parts is not { Length: 5 or 6 }) return Initial;
        var culture = CultureInfo.InvariantCulture;
        var exhaustedTick = -1L;
        return double.TryParse(parts[0], NumberStyles.Float, culture, out var multiplier)
               && double.TryParse(parts[1], NumberStyles.Float, culture, out var integral)
               && double.TryParse(parts[2], NumberStyles.Float, culture, out var lastEmitted)
               && long.TryParse(parts[3], NumberStyles.Integer, culture, out var lastTick)
               && long.TryParse(parts[4], NumberStyles.Integer, culture, out var lastEmittedTick)
               && (parts.Length == 5 || long.TryParse(parts[5], NumberStyles.Integer, culture, out exhaustedTick))
            ? new PacingMemory(new PacingState(multiplier, integral, lastEmitted), lastTick, lastEmittedTick, exhaustedTick, clockStartTick)
            : Initial;
    }
}
