using Engine.Models.Contracts;
using Engine.Models.Features;
using Engine.Models.Features.State;

namespace Engine.Actors.Features;

/// <summary>Which entities a write-behind keeps: a clickstream owner keeps users and its partitions' item slices; campaigns are fed by their own topic, keyed by campaign.</summary>
[Flags]
public enum FeatureScope
{
    UsersAndItems = 1,
    Campaigns = 2,
    All = UsersAndItems | Campaigns,
}

/// <summary>
/// Live feature state in memory, written behind to Redis: events change the user, campaign and item states at
/// memory speed; <see cref="FlushAsync"/> sends every entity changed since the last flush as one atomic batch, and
/// only when Redis acknowledges it do <see cref="AcknowledgedOffsets"/> move (the offsets safe to commit to Kafka).
/// Items are kept as one slice per partition (<see cref="ItemSlices"/>), so owners of different partitions
/// (one write-behind each, in parallel) never write the same field.
/// One owner at a time (a partition's stage or an actor): not thread-safe.
/// </summary>
public sealed class FeatureWriteBehind(FeatureStore store, FeatureMetrics metrics, string topic, FeatureScope scope = FeatureScope.All)
{
    private readonly Dictionary<string, UserFeatureState> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CampaignFeatureState> _campaigns = new(StringComparer.Ordinal);
    private readonly ItemSliceIndex _items = new(metrics);
    // Created once (a method group converted per event would allocate a delegate each time).
    private Action<ItemFeatureState, ApplyOutcome>? _trackSlice;
    // Each once, by its QueuedForDrain mark: no set lookup per event and entity.
    private readonly List<EntityFeatureState> _dirty = [];
    private readonly Dictionary<int, long> _applied = [];
    private readonly Dictionary<int, long> _acknowledged = [];
    private readonly List<string> _coVisited = [];
    private readonly HashSet<int> _partitions = [];
    // Arenas of acknowledged batches, reused by the next drains: the values' bytes are not reallocated per batch.
    private readonly Stack<ValueArena> _spareValues = new();
    // Changes of acknowledged writes, reused by the next drains (a drain allocates no lists per entity once warm).
    private readonly Stack<EntityChanges> _spareChanges = new();
    // What LoadMissingAsync collects, reused from chunk to chunk.
    private readonly List<string> _missingUsers = [], _missingCampaigns = [];
    private readonly HashSet<string> _seenUsers = new(StringComparer.Ordinal), _seenCampaigns = new(StringComparer.Ordinal);
    private readonly HashSet<(string Item, int Slice)> _missingItems = [];
    // Each state's Redis key, derived once (a user's is an HMAC of its id): by reference, as the dirty set.
    private readonly Dictionary<EntityFeatureState, string> _keys = new(ReferenceEqualityComparer.Instance);
    // Users restored with session items: their co-visited items' slices may not be in memory yet.
    private readonly HashSet<string> _restoredSessions = new(StringComparer.Ordinal);
    private readonly bool _usersAndItems = scope.HasFlag(FeatureScope.UsersAndItems);
    private readonly bool _campaignsToo = scope.HasFlag(FeatureScope.Campaigns);
    private List<EntityWrite> _unacknowledged = [];

    public IReadOnlyDictionary<string, UserFeatureState> Users => _users;
    public IReadOnlyDictionary<string, CampaignFeatureState> Campaigns => _campaigns;
    /// <summary>The item slices this owner writes, by item and partition.</summary>
    public IEnumerable<KeyValuePair<(string Item, int Slice), ItemFeatureState>> ItemSlices => _items.All();

    /// <summary>Per partition, the highest offset whose effects Redis has acknowledged: commit offset + 1.</summary>
    public IReadOnlyDictionary<int, long> AcknowledgedOffsets => _acknowledged;

    /// <summary>
    /// Applies a run of events in partition order, first loading (in one round trip per kind) every entity not yet in
    /// memory, so a restarted owner continues from Redis and the replayed, already-flushed events are no-ops.
    /// </summary>
    public async Task ApplyAsync(IReadOnlyList<(ClickEvent Event, EventPosition Position)> events)
    {
        ThrowIfSuperseded();
        await ResumePartitionsAsync(events);
        await LoadMissingAsync(events);
        for (var i = 0; i < events.Count; i++) Apply(events[i].Event, events[i].Position);
    }

    /// <summary>Applies one event to its user, its item slice (and co-visited items' slices) and its campaign, as the scope says, all already in memory.</summary>
    public ApplyOutcome Apply(ClickEvent e, EventPosition position)
    {
        var outcome = ApplyOutcome.Duplicate;
        if (_usersAndItems)
        {
            _coVisited.Clear();
            var user = _users[e.UserId];
            outcome = Track(user, user.Apply(e, position, _coVisited));
            if (e.ItemId is not null) _items.Apply(e, position, _coVisited, _trackSlice ??= (slice, applied) => Track(slice, applied));
        }
        if (_campaignsToo && e.CampaignId is { } campaignId)
        {
            var campaign = _campaigns[campaignId];
            var applied = Track(campaign, campaign.Apply(e, position));
            if (!_usersAndItems) outcome = applied;
        }
        metrics.Count(outcome);
        if (!_applied.TryGetValue(position.Partition, out var high) || position.Offset > high) _applied[position.Partition] = position.Offset;
        return outcome;
    }

    /// <summary>Drains the dirty entities (plus any earlier unacknowledged writes, first) into one batch.</summary>
    public FeatureBatch TakeBatch()
    {
        ThrowIfSuperseded();
        var writes = _unacknowledged;
        _unacknowledged = [];
        var values = _spareValues.Count > 0 ? _spareValues.Pop() : new ValueArena(16 * 1024);
        foreach (var state in _dirty)
        {
            state.QueuedForDrain = false;
            var (kind, slice) = state switch
            {
                UserFeatureState => (EntityKind.User, (int?)null),
                CampaignFeatureState => (EntityKind.Campaign, null),
                ItemFeatureState item => (EntityKind.Item, item.Slice),
                _ => throw new InvalidOperationException($"unknown state {state.GetType().Name}"),
            };
            var changes = _spareChanges.Count > 0 ? _spareChanges.Pop() : new EntityChanges(values);
            changes.Reset(values);
            state.DrainInto(changes);
            if (changes.IsEmpty)
            {
                _spareChanges.Push(changes);
                continue;
            }
            ref var key = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_keys, state, out _);
            key ??= slice is { } partition ? store.Keys.ItemSlice(state.Id, partition) : store.Keys.Entity(kind, state.Id);
            writes.Add(new EntityWrite(kind, state.Id, changes, slice) { Key = key });
        }
        _dirty.Clear();
        return new FeatureBatch(topic, new Dictionary<int, long>(_applied), writes) { Values = values };
    }

    /// <summary>
    /// Records a flush's outcome: on acknowledgement its offsets become committable; if not acknowledged its writes go
    /// out again with the next batch; if superseded, another owner has the partitions and every state here is stale.
    /// An acknowledged batch's changes and value bytes are reused by the next drains: do not read them after this.
    /// </summary>
    public void Complete(FeatureBatch batch, FlushResult result)
    {
        if (result.Superseded)
        {
            _superseded = true;
            _users.Clear();
            _campaigns.Clear();
            _items.Clear();
            _dirty.Clear();
            _partitions.Clear();
            _restoredSessions.Clear();
            _keys.Clear();
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
        // Only after a first-attempt success is no command of the batch still queued anywhere (a timed-out attempt's
        // could be): its bytes may then be overwritten.
        if (result.Attempts != 1 || batch.Values is not { } values) return;
        values.Reset();
        _spareValues.Push(values);
        foreach (var write in batch.Writes) _spareChanges.Push(write.Changes);
    }

    /// <summary>
    /// Superseded, the owner is stale for good: its partitions' offsets (those it applied, some beyond what it flushed) would
    /// supersede every later flush, and the events it had not flushed are gone from memory. Used again, it stalled every
    /// partition it still held, silently (before 2026-12-07, review); it now refuses: build a new one, which loads from Redis.
    /// </summary>
    private void ThrowIfSuperseded()
    {
        if (_superseded)
            throw new InvalidOperationException("this write-behind was superseded (another owner flushed its partitions past it): build a new one, which loads from Redis");
    }

    private bool _superseded;

    public async Task<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        var batch = TakeBatch();
        FlushResult result;
        try
        {
            result = await store.FlushAsync(batch, cancellationToken);
        }
        catch (Exception e)
        {
            // Cancelled (or failed) with the batch taken: its writes go back, or the next flush acknowledged offsets past them
            // without them (before 2026-12-07). Its attempt may still land: the writes are absolute, so writing them again is safe.
            Complete(batch, new FlushResult(false, false, 0, e.Message));
            throw;
        }
        Complete(batch, result);
        return result;
    }

    private ApplyOutcome Track(EntityFeatureState state, ApplyOutcome outcome)
    {
        // A late event moves the offsets too: they must reach Redis, or a replay would meet it again.
        if (outcome != ApplyOutcome.Duplicate && !state.QueuedForDrain)
        {
            state.QueuedForDrain = true;
            _dirty.Add(state);
        }
        return outcome;
    }

    /// <summary>
    /// On a partition's first event here, start from the offset Redis already holds for it: what the previous owner
    /// flushed is durable, and this owner's batches must not look older than it while it replays the tail.
    /// </summary>
    private async Task ResumePartitionsAsync(IReadOnlyList<(ClickEvent Event, EventPosition Position)> events)
    {
        List<int>? fresh = null;
        for (var i = 0; i < events.Count; i++)
        {
            var partition = events[i].Position.Partition;
            if (!_partitions.Contains(partition) && !(fresh ??= []).Contains(partition)) fresh.Add(partition);
        }
        if (fresh is null) return;
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
        var (missingUsers, missingCampaigns, seenUsers, seenCampaigns, missingItems) = (_missingUsers, _missingCampaigns, _seenUsers, _seenCampaigns, _missingItems);
        missingUsers.Clear();
        missingCampaigns.Clear();
        seenUsers.Clear();
        seenCampaigns.Clear();
        missingItems.Clear();
        for (var i = 0; i < events.Count; i++)
        {
            var (e, position) = events[i];
            if (_usersAndItems)
            {
                if (!_users.ContainsKey(e.UserId) && seenUsers.Add(e.UserId)) missingUsers.Add(e.UserId);
                if (e.ItemId is { } item && !_items.Contains(item, position.Partition)) missingItems.Add((item, position.Partition));
            }
            if (_campaignsToo && e.CampaignId is { } campaign && !_campaigns.ContainsKey(campaign) && seenCampaigns.Add(campaign)) missingCampaigns.Add(campaign);
        }
        if (missingUsers.Count + missingCampaigns.Count + missingItems.Count == 0 && _restoredSessions.Count == 0) return;
        var users = missingUsers.Count == 0 ? null : store.LoadManyAsync(EntityKind.User, missingUsers, id => new UserFeatureState(id, lateness));
        var campaigns = missingCampaigns.Count == 0 ? null : store.LoadManyAsync(EntityKind.Campaign, missingCampaigns, id => new CampaignFeatureState(id, lateness));
        var items = LoadItemsAsync(missingItems);
        // All end before this goes on: with a failed one thrown at once, the item load ran on and changed the slices under
        // the caller's retry, on another thread (before 2026-12-07, review).
        await Task.WhenAll(new Task?[] { users, campaigns, items }.OfType<Task>());
        if (users is not null)
        {
            foreach (var s in await users)
            {
                _users[s.Id] = s;
                if (s.SessionItems.Count > 0) _restoredSessions.Add(s.Id);
            }
        }
        if (campaigns is not null) foreach (var s in await campaigns) _campaigns[s.Id] = s;
        await items;
        if (!_usersAndItems || _restoredSessions.Count == 0) return;
        // A product view co-visits the items already in the user's session: their slices of the view's partition. A
        // restored user names items no event here has loaded (nor, if its earlier batches had no product view, any before).
        // Only restored users can: every other session item came with an event whose slice was loaded then.
        missingItems.Clear();
        for (var i = 0; i < events.Count; i++)
        {
            var (e, position) = events[i];
            if (e.ItemId is null || e.SessionId is null || !_restoredSessions.Contains(e.UserId)) continue;
            foreach (var item in _users[e.UserId].SessionItems)
            {
                if (!_items.Contains(item, position.Partition)) missingItems.Add((item, position.Partition));
            }
        }
        await LoadItemsAsync(missingItems);
    }

    private async Task LoadItemsAsync(HashSet<(string Item, int Slice)> missing)
    {
        if (missing.Count == 0) return;
        foreach (var s in await store.LoadItemSlicesAsync([.. missing])) _items.Add(s);
    }
}
