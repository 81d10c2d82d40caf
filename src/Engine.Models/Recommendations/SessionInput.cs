using Engine.Models.Features;

namespace Engine.Models.Recommendations;

/// <summary>
/// What the recommender is asked with after a session's clicks: its latest <see cref="UserFeatureState.SessionClicksKept"/>
/// clicks, oldest first, repeats kept, as the user's state keeps them for serving. Training and evaluation ask through this,
/// so the lists they score are the lists the engine serves.
/// </summary>
public static class SessionInput
{
    /// <summary>The input after the first <paramref name="clicked"/> of <paramref name="clicks"/> (oldest first).</summary>
    public static List<string> After(IReadOnlyList<string> clicks, int clicked)
    {
        var from = Math.Max(0, clicked - UserFeatureState.SessionClicksKept);
        var input = new List<string>(clicked - from);
        for (var i = from; i < clicked; i++) input.Add(clicks[i]);
        return input;
    }
}
