namespace Engine.Training.Ml;

/// <summary>Hashed one-hot tokens "field=value" for the linear and factorization learners.</summary>
public static class FeatureHash
{
    /// <summary>One bucket in [1, size) per field (bucket 0 is left to a bias).</summary>
    public static int[] Buckets(string[] row, int size)
    {
        var tokens = new int[row.Length];
        for (var a = 0; a < row.Length; a++) tokens[a] = Bucket($"{a}={row[a]}", size);
        return tokens;
    }

    private static int Bucket(string token, int size)
    {
        // FNV-1a: stable across runs and processes (string.GetHashCode is randomised per process).
        var hash = 2166136261u;
        foreach (var c in token) hash = (hash ^ c) * 16777619u;
        return 1 + (int)(hash % (uint)(size - 1));
    }
}
