using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Engine.Training.Evaluation;

/// <summary>
/// The YooChoose cross-check: /work/shared/tools/score_session_recs.py (../tools beside the data folder) scores our
/// first-100 top lists on its own, and its rows, HitRate and MRR must be ours. It prints 4 decimals, so a figure may
/// differ from ours by half of the last digit; anything more means the two read the protocol differently.
/// </summary>
public static partial class SessionRecsCheck
{
    /// <summary>What the tool printed: <c>rows 387  HitRate@20 0.6331  MRR@20 0.3654</c>.</summary>
    public sealed record Figures(int Rows, int K, double HitRate, double Mrr);

    /// <summary>The line for the report: that the tool agreed (with its output), or why it did not run.</summary>
    public sealed record Outcome(bool Ran, string Text);

    /// <summary>The tool's figures disagree with ours, or it ran and gave none: the evaluation stops.</summary>
    public sealed class FailedException(string message) : Exception(message);

    private const double Tolerance = 0.00005 + 1e-9;

    [GeneratedRegex(@"^rows (\d+)\s+HitRate@(\d+) ([0-9.]+)\s+MRR@\d+ ([0-9.]+)$", RegexOptions.Multiline)]
    private static partial Regex Line();

    /// <summary>The figures in the tool's output, or null when it printed none (its usage text, "no scorable rows", an error).</summary>
    public static Figures? Parse(string output) =>
        Line().Match(output.Trim()) is { Success: true } m
            ? new Figures(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
                double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture))
            : null;

    /// <summary>Throws <see cref="FailedException"/> unless the tool's output gives our positions, k and figures to its rounding.</summary>
    public static void Compare(string output, SessionRecEvaluation.Score ours, int k)
    {
        var tool = Parse(output) ?? throw new FailedException($"score_session_recs.py printed no figures: '{output.Trim()}'");
        var problems = new List<string>();
        if (tool.Rows != ours.Positions) problems.Add($"rows {tool.Rows} against our {ours.Positions} positions");
        if (tool.K != k) problems.Add($"k {tool.K} against our {k}");
        if (Math.Abs(tool.HitRate - ours.HitRate) > Tolerance) problems.Add($"HitRate@{k} {tool.HitRate:F4} against our {ours.HitRate:F6}");
        if (Math.Abs(tool.Mrr - ours.Mrr) > Tolerance) problems.Add($"MRR@{k} {tool.Mrr:F4} against our {ours.Mrr:F6}");
        if (problems.Count > 0)
            throw new FailedException($"score_session_recs.py disagrees with the in-process YooChoose first-100 figures: {string.Join("; ", problems)} (tool output: '{output.Trim()}')");
    }

    /// <summary>Runs the tool on <paramref name="csv"/> against the test file and compares; says why when it cannot run.</summary>
    public static Outcome Run(string dataFolder, string csv, SessionRecEvaluation.Score ours, int k)
    {
        var script = Path.GetFullPath(Path.Combine(dataFolder, "..", "tools", "score_session_recs.py"));
        var test = Path.Combine(dataFolder, "yoochoose-100k", "yoochoose-clicks-100k_test.txt");
        if (!File.Exists(script)) return new Outcome(false, $"not run: {script} does not exist");
        Process? process;
        try
        {
            process = Process.Start(new ProcessStartInfo("python3", [script, test, csv, "--k", k.ToString(CultureInfo.InvariantCulture)])
                { RedirectStandardOutput = true, RedirectStandardError = true });
        }
        catch (Win32Exception e)
        {
            return new Outcome(false, $"not run: python3 could not be started ({e.Message})");
        }
        if (process is null) return new Outcome(false, "not run: python3 could not be started");
        using (process)
        {
            var error = process.StandardError.ReadToEndAsync(); // read beside stdout so neither pipe fills and blocks the tool
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new FailedException($"score_session_recs.py exited with {process.ExitCode}: {output.Trim()} {error.Result.Trim()}");
            Compare(output, ours, k);
            return new Outcome(true, $"agrees: {output.Trim()}");
        }
    }
}
