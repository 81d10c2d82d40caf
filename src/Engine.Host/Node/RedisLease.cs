using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Coordination;
using StackExchange.Redis;

namespace Engine.Host.Node;

/// <summary>Where <see cref="RedisLease"/> keeps its leases: given to the actor system at its creation.</summary>
/// <param name="KeyPrefix">The lease named N is the key <c>KeyPrefix + N</c>.</param>
public sealed class RedisLeaseSetup(IDatabase redis, string keyPrefix) : Setup
{
    public IDatabase Redis { get; } = redis;
    public string KeyPrefix { get; } = keyPrefix;
}

/// <summary>
/// An Akka lease held in Redis, for the split-brain resolver's <c>lease-majority</c>: of two sides that no longer see each
/// other, the one that takes the lease downs the other, and the other downs itself. Unlike keep-oldest, a cluster of two
/// survives the crash of its oldest node (the survivor takes the lease), and unlike keep-majority it never keeps both
/// halves of an even split. The key holds the owner's name and expires <c>heartbeat-timeout</c> after the owner's last
/// renewal, so a crashed owner's lease frees itself; the owner renews it every <c>heartbeat-interval</c>.
/// </summary>
/// <remarks>
/// The resolver asks <see cref="CheckLease"/> before it acts on a lease it holds, without asking Redis: so the lease counts
/// as held only while the last renewal Redis confirmed was <em>sent</em> less than the TTL less two intervals ago. Past that,
/// the key may have expired in Redis and been taken by the other side.
/// </remarks>
public sealed class RedisLease : Lease
{
    private readonly IDatabase _redis;
    private readonly RedisKey _key;
    private readonly RedisValue _owner;
    private readonly Lock _gate = new();
    private CancellationTokenSource? _renewing;
    private bool _stopped;
    private long _confirmedSentAt = long.MinValue;

    public RedisLease(LeaseSettings settings, ExtendedActorSystem system) : base(settings)
    {
        var setup = system.Settings.Setup.Get<RedisLeaseSetup>();
        if (!setup.HasValue)
            throw new ConfigurationException($"{nameof(RedisLease)} needs a {nameof(RedisLeaseSetup)} in the actor system's setup (where its Redis is)");
        (_redis, _key, _owner) = (setup.Value.Redis, setup.Value.KeyPrefix + settings.LeaseName, settings.OwnerName);
        // A system that stops without releasing (a crash, as the others see it) renews nothing more: the lease expires.
        system.WhenTerminated.ContinueWith(_ => StopRenewing(stopped: true), TaskScheduler.Default);
    }

    private TimeSpan Ttl => Settings.TimeoutSettings.HeartbeatTimeout;
    private TimeSpan Interval => Settings.TimeoutSettings.HeartbeatInterval;
    private long TrustedForMs => (long)(Ttl - Interval * 2).TotalMilliseconds;

    public override Task<bool> Acquire() => Acquire(null!);

    public override async Task<bool> Acquire(Action<Exception> leaseLostCallback)
    {
        var sent = Environment.TickCount64;
        bool acquired;
        try
        {
            // Taken, or already ours (an earlier acquire of this owner that was not released): renewed either way.
            acquired = await Bounded(_redis.LockTakeAsync(_key, _owner, Ttl)) || await Bounded(_redis.LockExtendAsync(_key, _owner, Ttl));
        }
        catch
        {
            // Counted as not taken, so the caller downs its side: a take still on its way must not hold the lease against the
            // other side as well (queued after it on the same connection, this gives it back).
            try
            {
                _ = _redis.LockReleaseAsync(_key, _owner, CommandFlags.FireAndForget);
            }
            catch (Exception e) when (e is RedisException or ObjectDisposedException)
            {
                // Not given back: it expires with its TTL.
            }
            throw;
        }
        if (acquired) StartRenewing(leaseLostCallback, sent);
        return acquired;
    }

    /// <summary>True once the key is not ours any more: also when it expired or another owner took it (the resolver asks again each second until true).</summary>
    public override async Task<bool> Release()
    {
        StopRenewing(stopped: false);
        await Bounded(_redis.LockReleaseAsync(_key, _owner));
        return true;
    }

    public override bool CheckLease()
    {
        lock (_gate) return _renewing is not null && Environment.TickCount64 - _confirmedSentAt < TrustedForMs;
    }

    private void StartRenewing(Action<Exception>? lost, long confirmedSentAt)
    {
        var renewing = new CancellationTokenSource();
        lock (_gate)
        {
            if (_stopped) return;
            _renewing?.Cancel();
            (_renewing, _confirmedSentAt) = (renewing, confirmedSentAt);
        }
        _ = RenewAsync(lost, renewing.Token);
    }

    private void StopRenewing(bool stopped)
    {
        lock (_gate)
        {
            _renewing?.Cancel();
            _renewing = null;
            _stopped |= stopped;
        }
    }

    private async Task RenewAsync(Action<Exception>? lost, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var sent = Environment.TickCount64;
                string? why = null;
                try
                {
                    if (await Bounded(_redis.LockExtendAsync(_key, _owner, Ttl)))
                        lock (_gate) _confirmedSentAt = Math.Max(_confirmedSentAt, sent);
                    else why = $"lease {_key} is no longer held by {_owner}";
                }
                catch (Exception e) when (e is RedisException or TimeoutException or LeaseTimeoutException or ObjectDisposedException)
                {
                    // Redis away: the lease may expire meanwhile, so it stops counting as held once it can no longer be trusted.
                    if (Environment.TickCount64 - Volatile.Read(ref _confirmedSentAt) >= TrustedForMs)
                        why = $"lease {_key} not confirmed by Redis for {Ttl.TotalSeconds:N0} s ({e.Message})";
                }
                if (why is null) continue;
                lock (_gate)
                {
                    if (stop.IsCancellationRequested) return;
                    _renewing = null;
                }
                lost?.Invoke(new LeaseException(why));
                return;
            }
        }
        catch (OperationCanceledException)
        {
            // released
        }
    }

    private async Task<bool> Bounded(Task<bool> operation)
    {
        try
        {
            return await operation.WaitAsync(Settings.TimeoutSettings.OperationTimeout);
        }
        catch (TimeoutException e)
        {
            throw new LeaseTimeoutException($"Redis did not answer lease {_key}'s operation within {Settings.TimeoutSettings.OperationTimeout.TotalSeconds:N0} s", e);
        }
    }
}
