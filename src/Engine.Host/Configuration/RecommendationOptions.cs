using System.ComponentModel.DataAnnotations;
using Engine.Host.Node;

namespace Engine.Host.Configuration;

/// <summary>
/// Section <c>Recommendations</c>: how the live list stream behaves under a backlog (docs/contracts.md). Env:
/// <c>Recommendations__ConflationWindow=0</c> sends a list after every page event, however far behind the node is.
/// </summary>
public sealed class RecommendationOptions
{
    public const string Section = "Recommendations";

    /// <summary>
    /// Most records read together that are looked through for a later page event of the same user's session, whose list then
    /// replaces the earlier one's (<see cref="Engine.Actors.Pipeline.ListConflation"/>); 0 turns it off.
    /// </summary>
    [Range(0, 10_000, ErrorMessage = "Recommendations:ConflationWindow must be between 0 (a list after every page event) and 10000.")]
    public int ConflationWindow { get; set; } = EngineNodeSettings.DefaultListConflationWindow;
}
