using Engine.Training.Cli;

namespace Engine.Training.Tests.Evaluation;

/// <summary>The shared datasets and tools the evaluation reads: <c>../shared/data</c> and <c>../shared/tools</c> from the repository root.</summary>
public static class SharedData
{
    public static string Folder { get; } = DataFolder.Default().FullName;

    public static string Path(string relative) => System.IO.Path.Combine(Folder, relative);

    /// <summary>score_session_recs.py, found as the evaluation finds it: ../tools beside the data folder.</summary>
    public static string SessionRecsTool { get; } = System.IO.Path.GetFullPath(System.IO.Path.Combine(Folder, "..", "tools", "score_session_recs.py"));
}

/// <summary>A fact on a shared dataset: skipped, saying which folder is missing, where that dataset is not on the machine.</summary>
public sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute(string dataset)
    {
        if (!Directory.Exists(SharedData.Path(dataset)))
            Skip = $"{SharedData.Path(dataset)} is not on this machine (the evaluation's datasets: ../shared/data from the repository root)";
    }
}

/// <summary>A fact that runs score_session_recs.py: skipped, saying why, without the tool or python3.</summary>
public sealed class SessionRecsToolFactAttribute : FactAttribute
{
    public SessionRecsToolFactAttribute()
    {
        if (!File.Exists(SharedData.SessionRecsTool))
            Skip = $"{SharedData.SessionRecsTool} is not on this machine";
        else if (!OnPath("python3"))
            Skip = "python3 is not on PATH";
    }

    private static bool OnPath(string program) =>
        Environment.GetEnvironmentVariable("PATH")?.Split(System.IO.Path.PathSeparator).Any(dir => File.Exists(System.IO.Path.Combine(dir, program))) == true;
}
