using System.ComponentModel.DataAnnotations;
using Engine.Host.Node;

namespace Engine.Host.Configuration;

/// <summary>Section <c>Gc</c>: the node's gen0 pacing (<see cref="Gen0Pacer"/>). Env: <c>Gc__PacingMegabytes=0</c> turns it off.</summary>
public sealed class GcOptions
{
    public const string Section = "Gc";

    /// <summary>A short gen0 collection after the heap grew this many MB, while the node keeps up; 0 leaves collections to the runtime.</summary>
    [Range(0, 1024, ErrorMessage = "Gc:PacingMegabytes must be between 0 (off) and 1024.")]
    public int PacingMegabytes { get; set; } = (int)(GcPacingSettings.Default.Gen0Bytes >> 20);

    public GcPacingSettings ToSettings() => GcPacingSettings.Default with { Gen0Bytes = (long)PacingMegabytes << 20 };
}
