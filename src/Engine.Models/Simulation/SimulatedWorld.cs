namespace Engine.Models.Simulation;

/// <summary>
/// The fixed cast of a simulation, drawn from the seed before any event: users (tastes, engagement, churn time),
/// campaigns (true rates, budget, flight) and the catalogue (each item's category and price; items of a category
/// are ordered by popularity, neighbours in that order are "similar").
/// </summary>
public sealed class SimulatedWorld
{
    private static readonly string[] Devices = ["mobile", "desktop", "tablet"];
    private static readonly string[] Regions = ["eu-west", "eu-north", "us-east", "us-west", "apac"];

    public SimulatedWorld(SimulatorOptions options)
    {
        Options = options;
        var random = new Random(options.Seed);
        Categories = Enumerable.Range(0, options.Categories).Select(c => $"cat-{c}").ToArray();
        ItemCategory = Enumerable.Range(0, options.Items).Select(i => i % options.Categories).ToArray();
        ItemPrice = Enumerable.Range(0, options.Items).Select(_ => Math.Round((decimal)(5 + 95 * random.NextDouble() * random.NextDouble()), 2)).ToArray();
        ItemsByCategory = Enumerable.Range(0, options.Categories)
            .Select(c => Enumerable.Range(0, options.Items).Where(i => ItemCategory[i] == c).ToArray()).ToArray();
        Users = Enumerable.Range(0, options.Users).Select(u => NewUser(u, random)).ToArray();
        Campaigns = Enumerable.Range(0, options.Campaigns).Select(c => NewCampaign(c, random)).ToArray();
    }

    public SimulatorOptions Options { get; }
    public DateTimeOffset End => Options.Start + Options.Duration;
    public IReadOnlyList<string> Categories { get; }
    public IReadOnlyList<SimulatedUser> Users { get; }
    public IReadOnlyList<SimulatedCampaign> Campaigns { get; }
    internal int[] ItemCategory { get; }
    internal decimal[] ItemPrice { get; }
    internal int[][] ItemsByCategory { get; }

    public static string ItemId(int item) => $"i-{item}";

    private SimulatedUser NewUser(int u, Random random)
    {
        var preferred = Enumerable.Range(0, Categories.Count).OrderBy(_ => random.Next()).Take(1 + random.Next(3)).Select(c => Categories[c]).ToArray();
        var engagement = Math.Exp(0.6 * Gaussian(random));
        var firstSeen = Options.Start + TimeSpan.FromDays(random.NextDouble() * Options.Duration.TotalDays * 0.3);
        // Churn is a constant hazard whose rate falls with engagement: engaged users stay longer.
        var lifetime = TimeSpan.FromDays(-Math.Log(1 - random.NextDouble()) * Options.MeanLifetimeDays * engagement);
        var churnedAt = firstSeen + lifetime < End ? firstSeen + lifetime : (DateTimeOffset?)null;
        return new SimulatedUser($"u-{u}", preferred, engagement, firstSeen, churnedAt,
            Devices[random.Next(Devices.Length)], Regions[random.Next(Regions.Length)]);
    }

    private SimulatedCampaign NewCampaign(int c, Random random)
    {
        var days = Options.Duration.TotalDays;
        var start = Options.Start + TimeSpan.FromDays(random.NextDouble() * days * 0.3);
        var end = start + TimeSpan.FromDays(days * (0.5 + 0.5 * random.NextDouble()));
        return new SimulatedCampaign(
            $"c-{c}",
            Categories[random.Next(Categories.Count)],
            BaseCtr: 0.01 * Math.Exp(0.7 * Gaussian(random)),
            CtrDriftPerDay: 0.02 * (random.NextDouble() - 0.5),
            Cvr: 0.03 + 0.07 * random.NextDouble(),
            BudgetUsd: Math.Round((decimal)(50 + 450 * random.NextDouble()), 2),
            BidCpmUsd: Math.Round((decimal)(0.5 + 4.5 * random.NextDouble()), 2),
            start, end);
    }

    internal static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
