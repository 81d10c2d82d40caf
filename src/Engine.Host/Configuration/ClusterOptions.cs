using System.ComponentModel.DataAnnotations;

namespace Engine.Host.Configuration;

/// <summary>Section <c>Cluster</c>: the Akka cluster this node joins. One node by default.</summary>
public sealed class ClusterOptions
{
    public const string Section = "Cluster";

    /// <summary>The address other nodes reach this one at (its container or host name in a cluster).</summary>
    [Required(ErrorMessage = "Cluster:Hostname is missing: the name or IP other nodes reach this one at.")]
    public string Hostname { get; set; } = "127.0.0.1";

    /// <summary>0 picks a free port (other nodes then find this one only through Redis); set a fixed one to list it as a seed.</summary>
    [Range(0, 65535, ErrorMessage = "Cluster:Port must be between 0 and 65535 (0 = any free port).")]
    public int Port { get; set; }

    /// <summary>Seed node addresses like <c>akka.tcp://engine@node-1:4053</c>; empty = the members Redis knows of, or a cluster of its own.</summary>
    public string[] Seeds { get; set; } = [];

    /// <param name="section">The section bound: a single value where a list is expected (<c>Cluster__Seeds=akka.tcp://...</c>)
    /// binds to no seed at all: the node formed a cluster of its own beside the others (since 2026-12-06 it would join the members Redis knows of, if any).</param>
    public IEnumerable<string> SeedProblems(Microsoft.Extensions.Configuration.IConfigurationSection? section = null)
    {
        var seeds = section?.GetSection(nameof(Seeds));
        if (!string.IsNullOrWhiteSpace(seeds?.Value) && !seeds.GetChildren().Any())
            return [$"Cluster:Seeds must be a list, one entry per seed: Cluster__Seeds__0=akka.tcp://engine@engine-1:4053, " +
                    "Cluster__Seeds__1=... (or \"Seeds\": [...] in JSON); a single value is not read, and the node would ignore the seeds."];
        return Seeds.Select((seed, i) => (seed, i))
            .Where(s => !Uri.TryCreate(s.seed, UriKind.Absolute, out var uri) || uri.Scheme != "akka.tcp" || uri.Port <= 0 || uri.UserInfo != "engine")
            .Select(s => $"Cluster:Seeds:{s.i}: must be akka.tcp://engine@host:port, e.g. akka.tcp://engine@engine-1:4053.");
    }
}
