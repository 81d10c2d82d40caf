using Engine.Models.Contracts;
using Engine.Models.Features;
using Engine.Models.Features.State;

namespace Engine.Actors.Features;

/// <summary>
/// Live feature state in memory, written behind to Redis: events change the user, campaign and item states at
/// memory speed; <see cref="FlushAsync"/> sends every entity changed since the last flush as one atomic batch, and
/// only when Redis acknowledges it do <see cref="AcknowledgedOffsets"/> move (the offsets safe to commit to Kafka).
/// One owner at a time (a partition's stage or an actor): not thread-safe.
/// </summary>
public sealed class FeatureWriteBehind(FeatureStore store, FeatureMetrics metrics, string topic)
{
    private readonly Dictionary<string, UserFeatureState> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CampaignFeatureState> _campaigns = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ItemFeatureState> _items = new(StringComparer.Ordinal);
    // By reference: hashing a state is a pointer, hashing its id a string.
    private readonly HashSet<EntityFeatureState> _dirty = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<int, long> _applied = [];
    private readonly Dictionary<int, long> _acknowledged = [];
    private readonly List<string> _coVisited = [];
    private readonly HashSet<int> _partitions = [];
    private List<EntityWrite> _unacknowledged = [];

    public IReadOnlyDictionary<string, UserFeatureState> Users => _users;
    public IReadOnlyDictionary<string, CampaignFeatureState> Campaigns => _campaigns;
    public IReadOnlyDictionary<string, ItemFeatureState> Items => _items;

    /// <summary>Per partition, the highest offset whose effects Redis has acknowledged: commit offset + 1.</summary>
    public IReadOnlyDictionary<int, long> AcknowledgedOffsets => _acknowledged;

    /// <summary>
    /// Applies a run of events in partition order, first loading (in one round trip per kind) every entity not yet in
    /// memory, so a restarted owner continues from Redis and the replayed, already-flushed events are no-ops.
    /// </summary>
    public async Task ApplyAsync(IReadOnlyList<(ClickEvent Event, EventPosition Position)> events)
    {
        await ResumePartitionsAsync(events);
        await LoadMissingAsync(events);
        foreach (var (e, position) in events) Apply(e, position);
    }

    /// <summary>Applies one event to its user, its item (and co-visited items) and its campaign, all already in memory.</summary>
    public ApplyOutcome Apply(ClickEvent e, EventPosition position)
    {
        _coVisited.Clear();
        var user = _users[e.UserId];
        var outcome = Track(user, user.Apply(e, position, _coVisited));
        if (e.ItemId is { } itemId)
        {
            var item = _items[itemId];
            Track(item, item.Apply(e, position, _coVisited));
            foreach (var other in _coVisited)
            {
                var neighbour = _items[other];
                Track(neighbour, neighbour.AddCoVisit(itemId, position));
            }
        }
        if (e.CampaignId is { } campaignId)
        {
            var campaign = _campaigns[campaignId];
            Track(campaign, campaign.Apply(e, position));
        }
        metrics.Count(outcome);
        if (!_applied.TryGetValue(position.Partition, out var applied) || position.Offset > applied) _applied[position.Partition] = position.Offset;
        return outcome;
    }

    /// <summary>Drains the dirty entities (plus any earlier unacknowledged writes, first) into one batch.</summary>
    public FeatureBatch TakeBatch()
    {
        var writes = _unacknowledged;
        _unacknowledged = [];
        foreach (var state in _dirty)
        {
            var kind = state switch
            {
                UserFeatureState => EntityKind.User,
                CampaignFeatureState => EntityKind.Campaign,
                _ => EntityKind.Item,
            };
            var changes = state.DrainChanges();
            if (!changes.IsEmpty) writes.Add(new EntityWrite(kind, state.Id, changes));
        }
        _dirty.Clear();
        return new FeatureBatch(topic, new Dictionary<int, long>(_applied), writes);
    }

    /// <summary>
    /// Records a flush's outcome: on acknowledgement its offsets become committable; if not acknowledged its writes go
    /// out again with the next batch; if superseded, another owner has the partitions and every state here is stale.
    /// </summary>
    public void Complete(FeatureBatch batch, FlushResult result)
    {
        if (result.Superseded)
        {
            _users.Clear();
            _campaigns.Clear();
            _items.Clear();
            _dirty.Clear();
            _partitions.Clear();
            _unacknowledged = [];
            return;
        }
        if (!result.Acknowledged)
        {
            _unacknowledged = [.. batch.Writes, .. _unacknowledged];
            return;
        }
        foreach (var (partition, offset) in batch.Offsets)
            _acknowledged[partition] = Math.Max(_acknowledged.GetValueOrDefault(partition, -1), offset);
    }

    public async Task<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        var batch = TakeBatch();
        var result = await store.FlushAsync(batch, cancellationToken);
        Complete(batch, result);
        return result;
    }

    private ApplyOutcome Track(EntityFeatureState state, ApplyOutcome outcome)
    {
        // A late event moves the offsets too: they must reach Redis, or a replay would meet it again.
        if (outcome != ApplyOutcome.Duplicate) _dirty.Add(state);
        return outcome;
    }

    /// <summary>
    /// On a partition's first event here, start from the offset Redis already holds for it: what the previous owner
    /// flushed is durable, and this owner's batches must not look older than it while it replays the tail.
    /// </summary>
    private async Task ResumePartitionsAsync(IReadOnlyList<(ClickEvent Event, EventPosition Position)> events)
    {
        var fresh = events.Select(x => x.Position.Partition).Where(p => !_partitions.Contains(p)).Distinct().ToList();
        if (fresh.Count == 0) return;
        foreach (var (partition, offset) in await store.PartitionOffsetsAsync(topic, fresh))
        {
            _applied[partition] = Math.Max(_applied.GetValueOrDefault(partition, -1), offset);
            _acknowledged[partition] = Math.Max(_acknowledged.GetValueOrDefault(partition, -1), offset);
        }
        _partitions.UnionWith(fresh);
    }

    private async Task LoadMissingAsync(IReadOnlyList<(ClickEvent Event, EventPosition Position)> events)
    {
        var lateness = store.Options.AllowedLateness;
        var users = store.LoadManyAsync(EntityKind.User, Missing(events.Select(x => x.Event.UserId), _users), id => new UserFeatureState(id, lateness));
        var campaigns = store.LoadManyAsync(EntityKind.Campaign, Missing(events.Select(x => x.Event.CampaignId), _campaigns), id => new CampaignFeatureState(id, lateness));
        var items = store.LoadManyAsync(EntityKind.Item, Missing(events.Select(x => x.Event.ItemId), _items), id => new ItemFeatureState(id, lateness));
        var loadedUsers = await users;
        foreach (var s in loadedUsers) _users[s.Id] = s;
        foreach (var s in await campaigns) _campaigns[s.Id] = s;
        foreach (var s in await items) _items[s.Id] = s;
        // A product view co-visits the items already in the user's session, which a restored user may name
        // (a user already in memory only names items that were loaded with it or since).
        var sessionItems = Missing(loadedUsers.SelectMany(u => u.SessionItems), _items);
        if (sessionItems.Count == 0) return;
        foreach (var s in await store.LoadManyAsync(EntityKind.Item, sessionItems, id => new ItemFeatureState(id, lateness))) _items[s.Id] = s;
    }

    private static List<string> Missing<T>(IEnumerable<string?> ids, Dictionary<string, T> loaded) =>
        [.. ids.OfType<string>().Where(id => !loaded.ContainsKey(id)).Distinct()];
}
