using Engine.Actors.Features.Resp;
using Engine.Models.Features;
using Engine.Models.Features.State;
using StackExchange.Redis;

namespace Engine.Actors.Features;

/// <summary>
/// Rolling features in Redis (Garnet or redis-server): flushes batches of entity changes atomically, one
/// MULTI/EXEC per batch guarded by the partition offsets (<see cref="FlushTransaction"/>), loads an entity's state back (rehydration) and reads feature vectors.
/// Redis being down is reported as "not acknowledged" after bounded retries with backoff, never thrown.
/// User keys carry the keyed pseudonym of the id (<paramref name="pseudonyms"/>; null: the development key).
/// Flushes go through a connection of their own (<see cref="FlushClient"/>) to the same Redis, configured from
/// <paramref name="redis"/>'s configuration string: what a configuration string cannot hold (TLS callbacks set in code)
/// does not carry over, so a multiplexer that trusts Redis only through such a callback leaves the flushes on system trust.
/// </summary>
public sealed class FeatureStore(IConnectionMultiplexer redis, FeatureStoreOptions options, FeatureMetrics metrics,
    Engine.Models.Privacy.Pseudonymizer? pseudonyms = null) : IAsyncDisposable
{
    private readonly FlushClient _flushes = new(ConfigurationOptions.Parse(redis.Configuration), () => Primary(redis));
    private readonly FeatureKeys _keys = new(options.KeyPrefix, pseudonyms);

    public FeatureKeys Keys => _keys;
    /// <summary>Reused changes for the pipelines' drains (actors rent, the partition flush returns).</summary>
    public ChangesPool Changes { get; } = new();
    public FeatureStoreOptions Options => options;
    /// <summary>The features meter's counters, which the pipelines count their events' outcomes on.</summary>
    public FeatureMetrics Metrics => metrics;

    /// <param name="giveUp">Asked before each attempt, once the attempt has the flush connection, and before its MULTI: true
    /// stops (<see cref="FlushResult.GivenUp"/>), whatever was written by an attempt before.</param>
    public async Task<FlushResult> FlushAsync(FeatureBatch batch, CancellationToken cancellationToken = default, Func<bool>? giveUp = null)
    {
        if (batch.IsEmpty) return FlushResult.Empty;
        var backoff = options.InitialBackoff;
        string? error = null;
        for (var attempt = 1; attempt <= options.MaxAttempts; attempt++)
        {
            if (giveUp?.Invoke() == true) return GivenUp(attempt - 1, error);
            try
            {
                var outcome = await FlushTransaction.RunAsync(_flushes, batch, _keys, options.EntityTtl, options.CampaignTtl, giveUp,
                    options.AcknowledgingReplicas, options.ReplicaWait).WaitAsync(cancellationToken);
                // Landed: an earlier attempt's reply was lost or came after the timeout; what it sent is in Redis.
                if (outcome is FlushTransaction.Outcome.Committed or FlushTransaction.Outcome.Landed) return new FlushResult(true, false, attempt, null);
                if (outcome == FlushTransaction.Outcome.GivenUp) return GivenUp(attempt - 1, error);
                if (outcome == FlushTransaction.Outcome.Superseded) return new FlushResult(false, true, attempt, "a newer owner already flushed these partitions");
                // Raced: the offsets changed between the read and EXEC; read them again.
                error = "partition offsets changed during the flush";
                continue;
            }
            catch (Exception e) when (IsTransient(e))
            {
                error = $"{e.GetType().Name}: {e.Message}";
            }
            if (attempt == options.MaxAttempts) break;
            metrics.FlushRetried();
            await Task.Delay(Jitter(backoff), cancellationToken);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, options.MaxBackoff.Ticks));
        }
        metrics.FlushUnacknowledged();
        return new FlushResult(false, false, options.MaxAttempts, error);
    }

    /// <summary>Whether writes outside the flushes must be held by replicas too (<see cref="FeatureStoreOptions.AcknowledgingReplicas"/> above 0).</summary>
    public bool WaitsForReplicas => options.AcknowledgingReplicas > 0;

    /// <summary>
    /// Sends <paramref name="write"/>'s commands (each answered with an integer: DEL, ZREM, HSET, PEXPIRE) on the flush
    /// connection, then WAITs until the replicas a flush waits for hold them, and returns their answers; fewer replicas in
    /// time throw a NOREPLICAS error (the caller retries). Commands and WAIT on one connection: WAIT counts only its own
    /// connection's writes, and a failover between two connections could pair writes lost with the old primary with a WAIT
    /// answered by the new one. For writes outside a flush whose loss in a failover would be undone silently (an erasure, a consent).
    /// </summary>
    internal Task<long[]> WriteReplicatedAsync(Action<RespWriter> write, int commands) =>
        _flushes.RunAsync(async (connection, writer, cancellationToken) =>
        {
            write(writer);
            await connection.SendAsync(writer, cancellationToken).ConfigureAwait(false);
            var answers = new long[commands];
            for (var i = 0; i < commands; i++) answers[i] = await connection.Reader.IntegerAsync(cancellationToken).ConfigureAwait(false);
            if (options.AcknowledgingReplicas > 0)
                await FlushTransaction.ReplicatedAsync(connection, writer, options.AcknowledgingReplicas, options.ReplicaWait, cancellationToken).ConfigureAwait(false);
            return answers;
        });

    /// <summary>
    /// Writes a user's churn episode (<see cref="UserFeatureState.ChurnAlertField"/>: its <see cref="UserFeatureState.ChurnEpisodeValue"/>,
    /// or deleted when none is open) outside a flush, for an actor whose episode moved without an event to carry it. Only while the stored
    /// <c>last_event</c> is <paramref name="lastEventMs"/>: a newer writer (the user's partition moved on) or an erased or
    /// expired key gets nothing. True when written, false when the key is not this writer's; Redis errors (a timeout too) are thrown.
    /// </summary>
    /// <remarks>
    /// One script, not a transaction with a condition: StackExchange.Redis waits for a condition's reply on the calling
    /// thread, holding the connection's writer, so the user actor's thread (and every command behind it) waited a round trip,
    /// and a reply that timed out read as "not ours": the episode counted as saved and was never written (before 2026-12-07).
    /// </remarks>
    public async Task<bool> SaveChurnEpisodeAsync(string userId, string? episode, long lastEventMs)
    {
        var written = await redis.GetDatabase().ScriptEvaluateAsync(SaveEpisodeScript, [_keys.Entity(EntityKind.User, userId)],
            [EntityFeatureState.LastEventField, Invariant(lastEventMs), UserFeatureState.ChurnAlertField, episode ?? ""]);
        return (long)written == 1;
    }

    // ARGV: last_event's field and value, the episode's field and value ("": none open, the field is deleted).
    private const string SaveEpisodeScript = """
        if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
        if ARGV[4] == '' then redis.call('HDEL', KEYS[1], ARGV[3]) else redis.call('HSET', KEYS[1], ARGV[3], ARGV[4]) end
        return 1
        """;

    /// <summary>
    /// Writes a campaign's pacing memory (<see cref="CampaignFeatureState.PacingField"/>) moved by a pace step no event carried
    /// (<paramref name="pacing"/>, whose clock reads <paramref name="lastTick"/>), only over a memory whose clock runs, is not
    /// exhausted and is behind it, and while <c>last_event</c> is <paramref name="lastEventMs"/>: an event's flush that landed
    /// meanwhile (a later tick, an exhaustion, a stopped clock) is never replaced, and a step whose write failed or timed out
    /// does not stop the next one's (the clock only moves forward). True when written.
    /// </summary>
    public async Task<bool> SaveCampaignPacingAsync(string campaignId, string pacing, long lastTick, long lastEventMs)
    {
        var written = await redis.GetDatabase().ScriptEvaluateAsync(SavePacingScript, [_keys.Entity(EntityKind.Campaign, campaignId)],
            [EntityFeatureState.LastEventField, Invariant(lastEventMs), CampaignFeatureState.PacingField, pacing, lastTick]);
        return (long)written == 1;
    }

    // ARGV: last_event's field and value, the pacing field, the new memory, its last tick. The memory is
    // "multiplier,integral,last emitted,last tick,last emitted tick[,exhausted tick]" (Decisions.PacingMemory).
    private const string SavePacingScript = """
        if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
        local stored = redis.call('HGET', KEYS[1], ARGV[3])
        if not stored then return 0 end
        local fields = {}
        for field in string.gmatch(stored, '[^,]+') do fields[#fields + 1] = field end
        local lastTick, exhausted = tonumber(fields[4]), tonumber(fields[6] or '-1')
        if not lastTick or lastTick < 0 or lastTick >= tonumber(ARGV[5]) or (exhausted and exhausted >= 0) then return 0 end
        redis.call('HSET', KEYS[1], ARGV[3], ARGV[4])
        return 1
        """;

    private static string Invariant(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static FlushResult GivenUp(int attempts, string? error) =>
        new(false, false, attempts, error is null ? "given up" : $"given up after: {error}", GivenUp: true);

    /// <summary>
    /// A read, retried with the flush's backoff while Redis is away or slow (a timeout under load, a restart), so a
    /// load does not fail a stream or an actor on one lost reply; after the last attempt the error is thrown.
    /// </summary>
    private async Task<T> ReadWithRetryAsync<T>(Func<IDatabase, Task<T>> read)
    {
        var backoff = options.InitialBackoff;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await read(redis.GetDatabase());
            }
            catch (Exception e) when (IsTransient(e) && attempt < options.MaxAttempts)
            {
                metrics.LoadRetried();
                await Task.Delay(Jitter(backoff));
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, options.MaxBackoff.Ticks));
            }
        }
    }

    public Task<UserFeatureState> LoadUserAsync(string userId) =>
        LoadAsync(EntityKind.User, userId, id => new UserFeatureState(id, options.AllowedLateness));

    public Task<CampaignFeatureState> LoadCampaignAsync(string campaignId) =>
        LoadAsync(EntityKind.Campaign, campaignId, id => new CampaignFeatureState(id, options.AllowedLateness));

    /// <summary>
    /// The whole item as stored: the sum of the slices every partition's owner wrote (two round trips: the list, then the
    /// slices), each retried as every load is (before 2026-12-07 one Redis blip failed it, review).
    /// </summary>
    public async Task<ItemFeatureState> LoadItemAsync(string itemId)
    {
        var (slices, unsliced) = ItemSlices.Split(Fields(await ReadWithRetryAsync(db => db.HashGetAllAsync(_keys.Entity(EntityKind.Item, itemId)))));
        var all = await ReadWithRetryAsync(db =>
        {
            var pending = new Task<HashEntry[]>[slices.Count];
            for (var i = 0; i < slices.Count; i++) pending[i] = db.HashGetAllAsync(_keys.ItemSlice(itemId, slices[i]));
            return Task.WhenAll(pending);
        });
        var states = new List<ItemFeatureState>(slices.Count + 1);
        for (var i = 0; i < slices.Count; i++)
        {
            var slice = new ItemFeatureState(itemId, options.AllowedLateness) { Slice = slices[i] };
            slice.Restore(Fields(all[i]));
            states.Add(slice);
        }
        if (unsliced.Count > 0)
        {
            var legacy = new ItemFeatureState(itemId, options.AllowedLateness);
            legacy.Restore(unsliced);
            states.Add(legacy);
        }
        return ItemFeatureState.Merge(itemId, options.AllowedLateness, states);
    }

    /// <summary>Item slices for their owners to write (pipelined HGETALLs of each slice's own hash).</summary>
    public async Task<IReadOnlyList<ItemFeatureState>> LoadItemSlicesAsync(IReadOnlyList<(string Item, int Slice)> slices)
    {
        var all = await ReadWithRetryAsync(db =>
        {
            var pending = new Task<HashEntry[]>[slices.Count];
            for (var i = 0; i < slices.Count; i++) pending[i] = db.HashGetAllAsync(_keys.ItemSlice(slices[i].Item, slices[i].Slice));
            return Task.WhenAll(pending);
        });
        var states = new ItemFeatureState[slices.Count];
        for (var i = 0; i < slices.Count; i++)
        {
            states[i] = new ItemFeatureState(slices[i].Item, options.AllowedLateness) { Slice = slices[i].Slice };
            states[i].Restore(Fields(all[i]));
        }
        return states;
    }

    /// <summary>An entity's state as last flushed (empty if never written or expired), with the partition offsets it covers.</summary>
    public async Task<TState> LoadAsync<TState>(EntityKind kind, string id, Func<string, TState> create)
        where TState : EntityFeatureState
    {
        var entries = await ReadWithRetryAsync(db => db.HashGetAllAsync(_keys.Entity(kind, id)));
        var state = create(id);
        state.Restore(entries.Select(e => new KeyValuePair<string, string>(e.Name!, e.Value!)));
        return state;
    }

    /// <summary>Loads many entities of one kind in a single round trip (pipelined HGETALLs).</summary>
    public async Task<IReadOnlyList<TState>> LoadManyAsync<TState>(EntityKind kind, IReadOnlyList<string> ids, Func<string, TState> create)
        where TState : EntityFeatureState
    {
        var all = await ReadWithRetryAsync(db =>
        {
            var pending = new Task<HashEntry[]>[ids.Count];
            for (var i = 0; i < ids.Count; i++) pending[i] = db.HashGetAllAsync(_keys.Entity(kind, ids[i]));
            return Task.WhenAll(pending);
        });
        var states = new TState[ids.Count];
        for (var i = 0; i < ids.Count; i++)
        {
            states[i] = create(ids[i]);
            states[i].Restore(all[i].Select(e => new KeyValuePair<string, string>(e.Name!, e.Value!)));
        }
        return states;
    }

    /// <summary>A user's features as stored, in the schema's order, into <paramref name="destination"/>.</summary>
    public async Task ReadUserAsync(string userId, FeatureSchema<UserFeatureState> schema, DateTimeOffset asOf, Memory<float> destination)
    {
        var state = await LoadUserAsync(userId);
        schema.Read(state, state.ReadTimeMs(asOf), destination.Span);
    }

    /// <summary>A campaign's features as stored, in the schema's order, into <paramref name="destination"/>.</summary>
    public async Task ReadCampaignAsync(string campaignId, FeatureSchema<CampaignFeatureState> schema, DateTimeOffset asOf, Memory<float> destination)
    {
        var state = await LoadCampaignAsync(campaignId);
        schema.Read(state, state.ReadTimeMs(asOf), destination.Span);
    }

    /// <summary>An item's popularity features as stored, in the schema's order, into <paramref name="destination"/>.</summary>
    public async Task ReadItemAsync(string itemId, FeatureSchema<ItemFeatureState> schema, DateTimeOffset asOf, Memory<float> destination)
    {
        var state = await LoadItemAsync(itemId);
        schema.Read(state, state.ReadTimeMs(asOf), destination.Span);
    }

    /// <summary>The highest flushed offset of each of <paramref name="partitions"/> (absent: never flushed).</summary>
    public async Task<IReadOnlyDictionary<int, long>> PartitionOffsetsAsync(string topic, IReadOnlyList<int> partitions)
    {
        var keys = partitions.Select(p => (RedisKey)_keys.PartitionOffset(topic, p)).ToArray();
        var values = await ReadWithRetryAsync(db => db.StringGetAsync(keys));
        var offsets = new Dictionary<int, long>();
        for (var i = 0; i < partitions.Count; i++)
        {
            if (values[i].HasValue) offsets[partitions[i]] = (long)values[i];
        }
        return offsets;
    }

    private static IEnumerable<KeyValuePair<string, string>> Fields(HashEntry[] entries) =>
        entries.Select(e => new KeyValuePair<string, string>(e.Name!, e.Value!));

    /// <summary>Closes the flushes' connection (the multiplexer is the caller's).</summary>
    public ValueTask DisposeAsync() => _flushes.DisposeAsync();

    /// <summary>The primary among the servers the multiplexer is connected to, or null when it knows none (or is closed).</summary>
    private static System.Net.EndPoint? Primary(IConnectionMultiplexer redis)
    {
        try
        {
            return redis.GetServers().FirstOrDefault(s => s.IsConnected && !s.IsReplica)?.EndPoint;
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }

    /// <summary>An error that passes with time (a lost connection, a timeout, a refusal below): retried; any other is not.</summary>
    internal static bool IsTransient(Exception e) =>
        e is RedisConnectionException or RedisTimeoutException or TimeoutException
        || (e is RedisServerException s && TransientRefusals.Any(r => Refusal(s.Message).StartsWith(r, StringComparison.Ordinal)));

    /// <summary>
    /// The refusal behind a discarded transaction: refused at EXEC rather than when queued (memory crossed maxmemory in
    /// between, a failed save), Redis answers <c>EXECABORT Transaction discarded because of: OOM ...</c>; read as the OOM it
    /// is (before 2026-12-06 it failed the stream, where the same refusal at queue time was retried).
    /// </summary>
    private static string Refusal(string message)
    {
        const string Discarded = "EXECABORT Transaction discarded because of: ";
        return message.StartsWith(Discarded, StringComparison.Ordinal) ? message[Discarded.Length..] : message;
    }

    /// <summary>
    /// Refusals that pass with time (docs/operations.md: a full disk, Redis out of memory, a long script, a failover, too
    /// many clients): retried with backoff like a lost connection, instead of failing the stream. Refused at queue time, a
    /// transaction applies nothing, so retrying it is safe.
    /// </summary>
    private static readonly string[] TransientRefusals =
        ["LOADING", "OOM", "MISCONF", "BUSY", "MASTERDOWN", "NOREPLICAS", "TRYAGAIN", "ERR max number of clients"];

    private static TimeSpan Jitter(TimeSpan backoff) => backoff * (0.75 + Random.Shared.NextDouble() / 2);
}
