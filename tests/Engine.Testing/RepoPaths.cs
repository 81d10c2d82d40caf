namespace Engine.Testing;

/// <summary>Files of the repository the tests read (docs, committed models): found from the test binaries upwards.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The committed <c>models/NAME/model.onnx</c>.</summary>
    public static string Model(string name) => Path.Combine(Root, "models", name, "model.onnx");

    /// <summary>Copies the committed <c>models/</c> folder into <paramref name="folder"/>, but the file at <paramref name="except"/> (relative to it).</summary>
    public static void CopyModels(string folder, string? except = null)
    {
        var source = Path.Combine(Root, "models");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (relative == except) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(folder, relative))!);
            File.Copy(file, Path.Combine(folder, relative));
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Engine.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("Engine.sln not found above " + AppContext.BaseDirectory);
    }
}
