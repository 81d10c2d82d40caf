namespace Engine.Actors.Tests.Users;

/// <summary>The committed churn model with other alert thresholds in its model.json (the ONNX file is the same).</summary>
internal static class ChurnModels
{
    /// <summary>A copy alerting at <paramref name="alert"/> and re-arming below <paramref name="rearm"/> (0: never); the path of its model.onnx.</summary>
    public static string WithThresholds(double alert, double rearm)
    {
        var dir = Directory.CreateTempSubdirectory("churn-thresholds-").FullName;
        var committed = Path.GetDirectoryName(Engine.Testing.RepoPaths.Model("churn"))!;
        File.Copy(Path.Combine(committed, "model.onnx"), Path.Combine(dir, "model.onnx"));
        var json = File.ReadAllText(Path.Combine(committed, "model.json"));
        const string thresholds = "\"alert\": 0.7";
        Assert.Contains(thresholds, json);
        File.WriteAllText(Path.Combine(dir, "model.json"), json.Replace(thresholds,
            FormattableString.Invariant($"\"alert\": {alert}, \"rearm\": {rearm}")));
        return Path.Combine(dir, "model.onnx");
    }
}
