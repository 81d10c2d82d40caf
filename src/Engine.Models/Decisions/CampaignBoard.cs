using System.Collections.Concurrent;
using Engine.Models.Contracts;

namespace Engine.Models.Decisions;

/// <summary>
/// A node's board of campaign snapshots, read by the bidding user actors on any thread. Written by the campaign
/// actors this node hosts (at once) and by the campaign feed, which books specs and applies the bid adjustments
/// of every campaign wherever its actor lives.
/// </summary>
public sealed class CampaignBoard : ICampaignBoard
{
    private readonly ConcurrentDictionary<string, CampaignSnapshot> _snapshots = new(StringComparer.Ordinal);
    // Adjustments of campaigns whose spec has not been read yet (the two topics are read side by side).
    private readonly ConcurrentDictionary<string, BidAdjustment> _unbooked = new(StringComparer.Ordinal);

    /// <summary>
    /// The hosting actor's own view, which always replaces what the board holds, stamped when it saw it or with the board's
    /// stamp if that is later (a clock stepped back), so an adjustment decided before it and read later is judged against
    /// it: published unstamped, it reset the board's guard, and the hosting node applied a previous owner's late adjustment
    /// over its own exhaustion and bid again. Under the board's booking, not the one the actor read: the feed books the
    /// board, then the catalog, so the board's is never the older; an actor that read the catalog just before a new booking
    /// published the old terms over the new ones (before 2026-12-07, review), and a raised budget stayed exhausted on this
    /// node until its next pace step, which an exhausted campaign, winning nothing, never takes.
    /// </summary>
    public void Publish(CampaignSnapshot snapshot) =>
        _snapshots.AddOrUpdate(snapshot.Spec.CampaignId, static (_, published) => published, static (_, known, published) =>
        {
            var stamped = published.AdjustedAt >= known.AdjustedAt ? published : published with { AdjustedAt = known.AdjustedAt };
            return stamped.Spec == known.Spec ? stamped : stamped.Rebooked(known.Spec);
        }, snapshot);

    public bool TryGet(string campaignId, out CampaignSnapshot snapshot) => _snapshots.TryGetValue(campaignId, out snapshot!);

    /// <summary>
    /// False from <see cref="CatchingUp"/> to <see cref="CaughtUp"/>: while the campaign feed reads the bookings and bid
    /// adjustments on the topics at start. Bidding then would spend budgets another node already saw exhausted (a node that
    /// has not caught up within its start-up wait consumes anyway: before, it bid too).
    /// </summary>
    public bool IsCaughtUp => Volatile.Read(ref _caughtUp);
    private bool _caughtUp = true;

    public void CatchingUp() => Volatile.Write(ref _caughtUp, false);

    public void CaughtUp() => Volatile.Write(ref _caughtUp, true);

    /// <summary>
    /// A booking: a new campaign starts at multiplier 1 with the priors; a known one keeps its pacing under the new terms,
    /// and bids again if it was exhausted and the new budget is above its spend (<see cref="CampaignSnapshot.Rebooked"/>).
    /// </summary>
    public void Book(CampaignSpec spec)
    {
        _snapshots.AddOrUpdate(spec.CampaignId, _ => CampaignSnapshot.Booked(spec), (_, known) => known.Rebooked(spec));
        if (_unbooked.TryRemove(spec.CampaignId, out var adjustment)) Adjust(adjustment);
    }

    /// <summary>A campaign actor's new pacing, from the bid-adjustments topic.</summary>
    public void Adjust(BidAdjustment adjustment)
    {
        while (true)
        {
            if (!_snapshots.TryGetValue(adjustment.CampaignId, out var known))
            {
                // The latest decided is kept, not the latest read: a previous owner's late adjustment, read after its new
                // owner's exhaustion, replaced it, and the campaign bid again once booked (before 2026-12-06).
                _unbooked.AddOrUpdate(adjustment.CampaignId, static (_, read) => read, static (_, held, read) => Latest(held, read), adjustment);
                if (!_snapshots.ContainsKey(adjustment.CampaignId)) return;
                if (_unbooked.TryRemove(adjustment.CampaignId, out var held)) adjustment = held; // booked meanwhile: apply the latest below
                continue;
            }
            if (_snapshots.TryUpdate(adjustment.CampaignId, known.Adjusted(adjustment), known)) return;
        }
    }

    private static BidAdjustment Latest(BidAdjustment a, BidAdjustment b) => a.DecidedAt > b.DecidedAt ? a : b;
}
