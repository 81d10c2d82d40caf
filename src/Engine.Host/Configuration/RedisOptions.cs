using System.ComponentModel.DataAnnotations;

namespace Engine.Host.Configuration;

/// <summary>Section <c>Redis</c>. Env: <c>Redis__Endpoint=redis:6379</c>, <c>Redis__Password=...</c> (never logged).</summary>
public sealed class RedisOptions
{
    public const string Section = "Redis";

    [Required(ErrorMessage = "Redis:Endpoint is missing: set it to host:port of your Redis, or run with --embedded.")]
    [RegularExpression(@"^[^\s,:]+:\d{1,5}$", ErrorMessage = "Redis:Endpoint must be host:port, e.g. redis:6379.")]
    public string? Endpoint { get; set; }

    public string? User { get; set; }
    public string? Password { get; set; }
    public bool Tls { get; set; }

    /// <summary>Key prefix, so several engines (or tests) can share one Redis.</summary>
    [Required] public string KeyPrefix { get; set; } = "engine:";

    [Range(0, 15)] public int Database { get; set; }
}
