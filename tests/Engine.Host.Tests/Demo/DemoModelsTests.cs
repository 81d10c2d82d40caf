using Engine.Host.Demo;
using Engine.Models.Scoring;
using Engine.Testing;

namespace Engine.Host.Tests.Demo;

public sealed class DemoModelsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-models-").FullName;

    [Fact]
    public void A_models_folder_without_the_recommenders_ranker_stops_the_start_and_says_what_to_copy()
    {
        CopyModels(except: Path.Combine("recs", "model.onnx"));

        var error = Assert.Throws<ModelLoadException>(() => DemoModels.Load(_folder));

        Assert.Contains(Path.Combine(_folder, "recs", "model.onnx"), error.Message);
        Assert.Contains("does not exist", error.Message);
    }

    /// <summary>
    /// The recommender's past sessions cut short (a copy in progress) or emptied stop the start, naming the file: before
    /// 2026-12-07 they loaded, and lists from a partial index (none at all from an empty one) went out under the re-ranker's version.
    /// </summary>
    [Theory]
    [InlineData(0.5, "are not the ones its re-ranker was trained beside")]
    [InlineData(0.0, "are not the ones its re-ranker was trained beside")]
    public void The_recommenders_sessions_cut_short_or_emptied_stop_the_start_and_say_what_to_copy(double kept, string reason)
    {
        CopyModels(except: null);
        var sessions = Path.Combine(_folder, "recs", "sessions.txt");
        var lines = File.ReadAllLines(sessions);
        File.WriteAllLines(sessions, lines.Take((int)(lines.Length * kept)));

        var error = Assert.Throws<ModelLoadException>(() => DemoModels.Load(_folder));

        Assert.Contains(sessions, error.Message);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void The_recommendations_carry_the_version_of_the_ranker_that_was_loaded()
    {
        CopyModels(except: null);

        var models = DemoModels.Load(_folder);

        Assert.Equal(models.Recommender.Ranker!.Version, models.RecommenderVersion);
        Assert.Equal(ModelMetadata.Parse(File.ReadAllText(Path.Combine(_folder, "recs", "model.json"))).Version, models.RecommenderVersion);
    }

    private void CopyModels(string? except) => RepoPaths.CopyModels(_folder, except);

    /// <summary>
    /// Booked from the options its events come from, every bid request's candidate is in its booked flight, also in a world
    /// longer than the default (flights scale with its duration; the bench's 56-day events were booked from a 28-day world
    /// until 2026-12-06, and most of its bids were answered "outside flight" without being priced).
    /// </summary>
    [Fact]
    public void A_worlds_bid_requests_name_campaigns_in_the_flights_booked_for_that_world()
    {
        var world = new Engine.Models.Simulation.SimulatorOptions { Seed = 7, Users = 150, Duration = TimeSpan.FromDays(56) };
        var booked = DemoModels.CampaignSpecs(world).ToDictionary(c => c.CampaignId);
        var candidates = new Engine.Models.Simulation.ClickstreamSimulator(world)
            .Where(e => e.BidRequest is not null)
            .SelectMany(e => e.BidRequest!.CandidateCampaigns.Select(id => (e.EventTime, Spec: booked[id])))
            .ToList();

        Assert.True(candidates.Count > 1_000, $"only {candidates.Count} candidates");
        Assert.All(candidates, c => Assert.InRange(c.EventTime, c.Spec.FlightStart, c.Spec.FlightEnd.AddTicks(-1)));
        Assert.Contains(candidates, c => c.EventTime > DemoModels.CampaignSpecs(world with { Duration = TimeSpan.FromDays(28) })
            .Single(s => s.CampaignId == c.Spec.CampaignId).FlightEnd); // a 28-day world's bookings would not cover them
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
