using Engine.Models.Contracts;
using Engine.Models.Experiments;

namespace Engine.Host.Reports;

/// <summary>Everything the experiments report reads: the clickstream, the decisions and the shadow scores.</summary>
public sealed record TopicSnapshot(IReadOnlyList<ClickEvent> Clickstream, IReadOnlyList<IDecision> Decisions, IReadOnlyList<ShadowScore> ShadowScores)
{
    /// <summary>
    /// The topics as they stand now, each from its first offset (or an hour before <paramref name="from"/>) to its end at
    /// this moment.
    /// </summary>
    /// <param name="timeout">The longest Kafka may leave the read without a record before its ends.</param>
    public static TopicSnapshot Read(string bootstrap, IReadOnlyDictionary<string, string> client, TimeSpan timeout, CancellationToken cancellationToken,
        Engine.Actors.Pipeline.DecisionTopics? topics = null, DateTimeOffset? from = null)
    {
        using var tail = TopicTail.Start(bootstrap, client, timeout, topics, from);
        return tail.Finish(timeout, cancellationToken);
    }
}
