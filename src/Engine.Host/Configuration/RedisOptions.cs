using System.ComponentModel.DataAnnotations;
using System.Globalization;
using StackExchange.Redis;

namespace Engine.Host.Configuration;

/// <summary>Section <c>Redis</c>. Env: <c>Redis__Endpoint=redis:6379</c>, <c>Redis__Password=...</c> (never logged).</summary>
public sealed class RedisOptions
{
    public const string Section = "Redis";

    [Required(ErrorMessage = "Redis:Endpoint is missing: set it to host:port of your Redis, or run with --embedded.")]
    [RegularExpression(@"^[^\s,:]+:\d{1,5}$", ErrorMessage = "Redis:Endpoint must be host:port, e.g. redis:6379.")]
    public string? Endpoint { get; set; }

    /// <summary>ACL user (Redis 6+); empty for the default user.</summary>
    [RegularExpression(CarriedWhole, ErrorMessage = "Redis:User must not contain a comma nor start or end with a space (the Redis client's configuration string cannot carry them).")]
    public string? User { get; set; }

    // The client's configuration string splits on commas and trims: "ab,cd" became the password "ab" and an option or a
    // second endpoint "cd", failing start-up with a message quoting part of the password.
    [RegularExpression(CarriedWhole, ErrorMessage = "Redis:Password must not contain a comma nor start or end with a space (the Redis client's configuration string cannot carry them): choose another password.")]
    public string? Password { get; set; }

    private const string CarriedWhole = @"^(?!\s)[^,]*(?<!\s)$";
    public bool Tls { get; set; }

    /// <summary>Key prefix, so several engines (or tests) can share one Redis: features under PREFIXf:, the churn due-lists under PREFIXchurn:, the cluster's members under PREFIXcluster:.</summary>
    [Required(ErrorMessage = "Redis:KeyPrefix must not be empty (default engine:).")]
    public string KeyPrefix { get; set; } = "engine:";

    [Range(0, 15, ErrorMessage = "Redis:Database must be between 0 and 15.")]
    public int Database { get; set; }

    /// <summary>How long a command may wait for its answer before it counts as failed (and is retried with backoff).</summary>
    [Range(100, 600_000, ErrorMessage = "Redis:TimeoutMs must be between 100 and 600000 milliseconds.")]
    public int TimeoutMs { get; set; } = 5_000;

    /// <summary>
    /// How many replicas must hold a feature flush (WAIT) before its offsets are committed to Kafka: with replicas and a
    /// failover (Sentinel, a managed Redis), 0 can lose the last flushes for good when a replica that lagged takes over.
    /// More than are connected stalls the flushes (the pipeline waits; /readyz and the flush-retry metric show it).
    /// </summary>
    [Range(0, 16, ErrorMessage = "Redis:AcknowledgingReplicas must be between 0 and 16 (0: the primary's acknowledgement suffices).")]
    public int AcknowledgingReplicas { get; set; }

    /// <summary>Where the churn due-lists live: <see cref="KeyPrefix"/> + <c>churn:</c>.</summary>
    public string ChurnKeyPrefix => KeyPrefix + "churn:";

    /// <summary>Where the cluster's members announce themselves: <see cref="KeyPrefix"/> + <c>cluster:</c>.</summary>
    public string ClusterKeyPrefix => KeyPrefix + "cluster:";

    /// <summary>The feature store's options these settings make: the key prefix (<see cref="KeyPrefix"/> + <c>f:</c>), and the replicas' acknowledgement within half the timeout (at most 1 s a wait).</summary>
    public Engine.Actors.Features.FeatureStoreOptions ToFeatureStoreOptions() => new()
    {
        KeyPrefix = KeyPrefix + "f:",
        AcknowledgingReplicas = AcknowledgingReplicas,
        ReplicaWait = TimeSpan.FromMilliseconds(Math.Min(1_000, TimeoutMs / 2)),
    };

    /// <summary>A StackExchange.Redis configuration string; it holds the password, so it is never printed.</summary>
    public string ToConfigurationString()
    {
        var options = ConfigurationOptions.Parse(Endpoint!);
        options.User = string.IsNullOrEmpty(User) ? null : User;
        options.Password = string.IsNullOrEmpty(Password) ? null : Password;
        options.Ssl = Tls;
        options.DefaultDatabase = Database;
        options.SyncTimeout = options.AsyncTimeout = TimeoutMs;
        return options.ToString(includePassword: true);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Endpoint} db {Database}");
}
