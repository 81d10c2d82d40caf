using System.ComponentModel.DataAnnotations;

namespace Engine.Host.Configuration;

/// <summary>Section <c>Cluster</c>: the Akka cluster this node joins. One node by default.</summary>
public sealed class ClusterOptions
{
    public const string Section = "Cluster";

    [Required] public string Hostname { get; set; } = "127.0.0.1";

    /// <summary>0 picks a free port (single node); set a fixed one when other nodes must find this one.</summary>
    [Range(0, 65535)] public int Port { get; set; }

    /// <summary>Seed node addresses like <c>akka.tcp://engine@node-1:4053</c>; empty = this node seeds itself.</summary>
    public string[] Seeds { get; set; } = [];
}
