namespace Engine.Models.Tests.Scoring;

/// <summary>Copies of the committed churn model in a fresh temp folder, so a test can break or re-version them.</summary>
public sealed class ModelFiles : IDisposable
{
    public ModelFiles()
    {
        Directory.CreateDirectory(Root);
    }

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "engine-model-tests-" + Guid.NewGuid().ToString("N"));

    public static string Committed(string model) => Engine.Testing.RepoPaths.Model(model);

    /// <summary>A copy of models/MODEL as DIR/NAME/model.onnx + model.json, its version rewritten when given.</summary>
    public string Copy(string name, string model = "churn", string? version = null)
    {
        var dir = Path.Combine(Root, name);
        Directory.CreateDirectory(dir);
        var source = Committed(model);
        File.Copy(source, Path.Combine(dir, "model.onnx"), overwrite: true);
        var json = File.ReadAllText(Path.ChangeExtension(source, ".json"));
        if (version is not null)
            json = System.Text.RegularExpressions.Regex.Replace(json, "\"version\": \"[^\"]*\"", $"\"version\": \"{version}\"");
        File.WriteAllText(Path.Combine(dir, "model.json"), json);
        return Path.Combine(dir, "model.onnx");
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { /* a session may still map the file on some platforms */ }
    }
}
