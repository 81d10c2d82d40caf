namespace Engine.Models.Experiments;

/// <summary>
/// What a challenger in shadow mode would have decided for one user, logged beside the champion's real decision and
/// never emitted as a decision. The host writes these to <c>engine.shadow-scores</c> (key = user id).
/// </summary>
/// <param name="Kind">recommendation, bid or churn_alert.</param>
/// <param name="Score">The challenger's score behind it: top item score, predicted CTR of its winner, churn probability.</param>
/// <param name="WouldDecide">Whether the challenger would have acted (served a list, placed a bid, raised an alert).</param>
/// <param name="Detail">A short comparison with the champion (overlap of the lists, the price it would have bid, its threshold).</param>
public sealed record ShadowScore(
    string Experiment,
    string Kind,
    string UserId,
    string CausedBy,
    string ModelVersion,
    double? Score,
    bool WouldDecide,
    string? Detail,
    DateTimeOffset ScoredAt);

/// <summary>Where shadow scores go. Called on the deciding thread: an implementation must not block.</summary>
public interface IShadowLog
{
    void Record(ShadowScore score);
}
