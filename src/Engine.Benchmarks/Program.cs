using System.CommandLine;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Benchmarks;

// The features bench runs Garnet in a child process of this executable (BenchServer.StartGarnetAsync).
if (args is [BenchServer.GarnetServerMode, var garnetPort]) return await BenchServer.ServeGarnetAsync(int.Parse(garnetPort, System.Globalization.CultureInfo.InvariantCulture));

var suites = typeof(IBenchSuite).Assembly.GetTypes()
    .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IBenchSuite).IsAssignableFrom(t))
    .Select(t => (IBenchSuite)Activator.CreateInstance(t)!)
    .OrderBy(s => s.Name, StringComparer.Ordinal)
    .ToList();

var suiteArg = new Argument<string>("suite")
{
    Description = "Suite to run: " + string.Join(", ", suites.Select(s => s.Name)),
};
var outOption = new Option<DirectoryInfo>("--out")
{
    Description = "Folder for SUITE.json and SUITE.md",
    DefaultValueFactory = _ => new DirectoryInfo("bench-results"),
};
var quickOption = new Option<bool>("--quick") { Description = "Shorter runs (smoke test of the harness; figures are noisier)" };

var root = new RootCommand(
    "Benchmarks: each suite measures a component of the engine and a plain baseline side by side, in one run.\n" +
    "Example: ./engine bench kafka --out bench-results\n\nSuites:\n" +
    string.Join("\n", suites.Select(s => $"  {s.Name,-10} {s.Description}")))
{
    suiteArg, outOption, quickOption,
};
root.SetAction(async (parse, ct) =>
{
    var name = parse.GetValue(suiteArg)!;
    var suite = suites.FirstOrDefault(s => s.Name == name);
    if (suite is null)
    {
        Console.Error.WriteLine($"bench: no suite '{name}'. Known: {string.Join(", ", suites.Select(s => s.Name))}");
        return 2;
    }
    var outDir = parse.GetValue(outOption)!;
    outDir.Create();
    Console.WriteLine($"bench {suite.Name}: {suite.Description}");
    var result = await suite.RunAsync(new BenchContext(outDir, parse.GetValue(quickOption)), ct);
    var json = JsonSerializer.SerializeToNode(result.Json, result.Json.GetType()) ?? new JsonObject();
    var jsonPath = Path.Combine(outDir.FullName, suite.Name + ".json");
    var mdPath = Path.Combine(outDir.FullName, suite.Name + ".md");
    await File.WriteAllTextAsync(jsonPath, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), ct);
    await File.WriteAllTextAsync(mdPath, result.Markdown, ct);
    Console.WriteLine(result.Markdown);
    Console.WriteLine($"wrote {jsonPath} and {mdPath}");
    return 0;
});
return await root.Parse(args).InvokeAsync();
