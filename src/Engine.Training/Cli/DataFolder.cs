namespace Engine.Training.Cli;

/// <summary>Default locations: the repository root is the nearest folder up from here holding Engine.sln.</summary>
public static class DataFolder
{
    public static DirectoryInfo RepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Engine.sln"))) return dir;
        return new DirectoryInfo(Directory.GetCurrentDirectory());
    }

    /// <summary><c>../shared/data</c> relative to the repository root.</summary>
    public static DirectoryInfo Default() => new(Path.GetFullPath(Path.Combine(RepositoryRoot().FullName, "..", "shared", "data")));
}
