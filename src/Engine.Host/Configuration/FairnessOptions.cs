using System.ComponentModel.DataAnnotations;
using Engine.Models.Fairness;

namespace Engine.Host.Configuration;

/// <summary>Section <c>Fairness</c>: when the monitor flags a dimension. Env: <c>Fairness__MinDisparityRatio=0.9</c>.</summary>
public sealed class FairnessOptions
{
    public const string Section = "Fairness";

    /// <summary>Lowest segment decision rate over the highest under which a dimension is flagged (the four-fifths rule by default).</summary>
    [Range(0.0, 1.0, ErrorMessage = "Fairness:MinDisparityRatio must be between 0 and 1.")]
    public double MinDisparityRatio { get; set; } = 0.8;

    /// <summary>Segments with fewer chances to decide are shown but not compared.</summary>
    [Range(1, long.MaxValue, ErrorMessage = "Fairness:MinOpportunities must be at least 1.")]
    public long MinOpportunities { get; set; } = 100;

    public FairnessSettings ToSettings() => new(MinDisparityRatio, MinOpportunities);
}
