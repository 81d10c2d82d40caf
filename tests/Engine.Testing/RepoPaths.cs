namespace Engine.Testing;

/// <summary>Files of the repository the tests read (docs, committed models): found from the test binaries upwards.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The committed <c>models/NAME/model.onnx</c>.</summary>
    public static string Model(string name) => Path.Combine(Root, "models", name, "model.onnx");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Engine.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("Engine.sln not found above " + AppContext.BaseDirectory);
    }
}
