namespace Engine.Benchmarks;

/// <summary>
/// One benchmark suite (<c>./engine bench NAME --out DIR</c>). A suite measures our component and a plain
/// baseline side by side in the same run, so the ratio means something on a shared, noisy machine.
/// Suites are found by reflection: add a class, nothing else to register.
/// </summary>
public interface IBenchSuite
{
    string Name { get; }
    string Description { get; }
    /// <summary>Returns the JSON document (written as <c>DIR/NAME.json</c>) and a Markdown report (<c>DIR/NAME.md</c>).</summary>
    Task<BenchResult> RunAsync(BenchContext context, CancellationToken cancellationToken);
}

/// <summary>What a suite gets: where to write extra files (plots), and how hard to push.</summary>
public sealed record BenchContext(DirectoryInfo OutDir, bool Quick);

/// <summary>A suite's outcome: <paramref name="Json"/> is serialised as is (use snake_case keys).</summary>
public sealed record BenchResult(object Json, string Markdown);
