using Engine.Models.Features;

namespace Engine.Testing.Features;

/// <summary>Compares feature vectors by name, with float tolerance, and names every mismatch.</summary>
public static class FeatureAssert
{
    public static void Matches(IReadOnlyDictionary<string, double> expected, IReadOnlyList<string> names, ReadOnlySpan<float> actual, string context)
    {
        var problems = new List<string>();
        for (var i = 0; i < names.Count; i++)
        {
            var want = expected[names[i]];
            if (Math.Abs(actual[i] - want) > 1e-3 + 1e-5 * Math.Abs(want)) problems.Add($"{names[i]}: expected {want}, got {actual[i]}");
        }
        if (problems.Count > 0) throw new FeatureMismatchException($"{context}: {string.Join("; ", problems)}");
    }

    public static void SameVectors(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, IReadOnlyList<string> names, string context)
    {
        var problems = new List<string>();
        for (var i = 0; i < names.Count; i++)
        {
            if (expected[i] != actual[i]) problems.Add($"{names[i]}: expected {expected[i]}, got {actual[i]}");
        }
        if (problems.Count > 0) throw new FeatureMismatchException($"{context}: {string.Join("; ", problems)}");
    }

    public static float[] Read<TState>(FeatureSchema<TState> schema, TState state, long nowMs)
    {
        var values = new float[schema.Length];
        schema.Read(state, nowMs, values);
        return values;
    }
}

public sealed class FeatureMismatchException(string message) : Exception(message);
