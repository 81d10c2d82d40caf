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
/// renewal, so a crashed owner's lease frees itself; the owner renews it every <c>heartbeat-interval</c>, and learns
/// that it lost it (another owner holds it, or Redis did not confirm it within the timeout) through the callback.
/// </summary>
public sealed class RedisLease : Lease
{
    private readonly IDatabase _redis;
    private readonly RedisKey _key;
    private readonly RedisValue _owner;
    private readonly Lock _gate = new();
    private CancellationTokenSource? _renewing;
    private volatile bool _held;

    public RedisLease(LeaseSettings settings, ExtendedActorSystem system) : base(settings)
    {
        var setup = system.Settings.Setup.Get<RedisLeaseSetup>();
        if (!setup.HasValue)
            throw new ConfigurationException($"{nameof(RedisLease)} needs a {nameof(RedisLeaseSetup)} in the actor system's setup (where its Redis is)");
        (_redis, _key, _owner) = (setup.Value.Redis, setup.Value.KeyPrefix + settings.LeaseName, settings.OwnerName);
        // A system that stops without releasing (a crash, as the others see it) renews nothing more: the lease expires.
        system.WhenTerminated.ContinueWith(_ => StopRenewing(), TaskScheduler.Default);
    }

    private TimeSpan Ttl => Settings.TimeoutSettings.HeartbeatTimeout;

    public override Task<bool> Acquire() => Acquire(null!);

    public override async Task<bool> Acquire(Action<Exception> leaseLostCallback)
    {
        // Taken, or already ours (an earlier acquire of this owner that was not released): renewed either way.
        var acquired = await Bounded(_redis.LockTakeAsync(_key, _owner, Ttl)) || await Bounded(_redis.LockExtendAsync(_key, _owner, Ttl));
        if (acquired) StartRenewing(leaseLostCallback);
        return acquired;
    }

    public override async Task<bool> Release()
    {
        StopRenewing();
        return await Bounded(_redis.LockReleaseAsync(_key, _owner));
    }

    public override bool CheckLease() => _held;

    private void StartRenewing(Action<Exception>? lost)
    {
        var renewing = new CancellationTokenSource();
        lock (_gate)
        {
            _renewing?.Cancel();
            _renewing = renewing;
            _held = true;
        }
        _ = RenewAsync(lost, renewing.Token);
    }

    private void StopRenewing()
    {
        lock (_gate)
        {
            _renewing?.Cancel();
            _renewing = null;
            _held = false;
        }
    }

    private async Task RenewAsync(Action<Exception>? lost, CancellationToken stop)
    {
        var confirmed = Environment.TickCount64;
        using var timer = new PeriodicTimer(Settings.TimeoutSettings.HeartbeatInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                string? why = null;
                try
                {
                    if (await Bounded(_redis.LockExtendAsync(_key, _owner, Ttl))) confirmed = Environment.TickCount64;
                    else why = $"lease {_key} is no longer held by {_owner}";
                }
                catch (Exception e) when (e is RedisException or TimeoutException or LeaseTimeoutException)
                {
                    // Redis away: the lease may have expired meanwhile, so it counts as lost once a whole TTL passed unconfirmed.
                    if (Environment.TickCount64 - confirmed >= Ttl.TotalMilliseconds) why = $"lease {_key} not confirmed by Redis for {Ttl.TotalSeconds:N0} s ({e.Message})";
                }
                if (why is null || stop.IsCancellationRequested) continue;
                lock (_gate)
                {
                    if (stop.IsCancellationRequested) return;
                    _held = false;
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
