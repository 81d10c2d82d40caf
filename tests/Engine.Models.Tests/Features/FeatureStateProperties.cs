using Engine.Models.Contracts;
using Engine.Models.Features;
using Engine.Testing.Features;
using FsCheck;
using FsCheck.Fluent;

namespace Engine.Models.Tests.Features;

/// <summary>Every window of every entity equals the brute-force reference, over random out-of-order, late and replayed deliveries.</summary>
public class FeatureStateProperties
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(300);

    [Fact]
    public void User_features_equal_the_reference_under_disorder_lateness_and_replay() =>
        Check.One(Runs, Prop.ForAll(FeatureScenario.Arbitrary(), scenario =>
        {
            var states = new ScenarioStates(FeatureScenario.Lateness).Apply(scenario.Deliveries);
            foreach (var (id, state) in states.Users)
            {
                var expected = ReferenceFeatures.User(ReferenceFeatures.Accepted(scenario.Deliveries, e => e.UserId == id, FeatureScenario.Lateness), scenario.ReadAt);
                FeatureAssert.Matches(expected, FeatureNames.User, FeatureAssert.Read(UserFeatures.All, state, state.ReadTimeMs(scenario.ReadAt)), $"user {id}");
            }
        }));

    [Fact]
    public void Campaign_features_equal_the_reference_under_disorder_lateness_and_replay() =>
        Check.One(Runs, Prop.ForAll(FeatureScenario.Arbitrary(), scenario =>
        {
            var states = new ScenarioStates(FeatureScenario.Lateness).Apply(scenario.Deliveries);
            foreach (var (id, state) in states.Campaigns)
            {
                // A campaign judges no event late (its partitions' lag is not lateness): every first delivery counts.
                var expected = ReferenceFeatures.Campaign(ReferenceFeatures.Accepted(scenario.Deliveries, e => e.CampaignId == id, TimeSpan.MaxValue), scenario.ReadAt);
                FeatureAssert.Matches(expected, FeatureNames.Campaign, FeatureAssert.Read(CampaignFeatures.All, state, state.ReadTimeMs(scenario.ReadAt)), $"campaign {id}");
            }
        }));

    [Fact]
    public void Item_features_equal_the_reference_under_disorder_lateness_and_replay() =>
        Check.One(Runs, Prop.ForAll(FeatureScenario.Arbitrary(), scenario =>
        {
            var states = new ScenarioStates(FeatureScenario.Lateness).Apply(scenario.Deliveries);
            foreach (var (id, state) in states.Items)
            {
                var expected = ReferenceFeatures.Item(ReferenceFeatures.AcceptedBySlice(scenario.Deliveries, e => e.ItemId == id, FeatureScenario.Lateness), scenario.ReadAt);
                FeatureAssert.Matches(expected, FeatureNames.Item, FeatureAssert.Read(ItemFeatures.All, state, state.ReadTimeMs(scenario.ReadAt)), $"item {id}");
            }
        }));

    [Fact]
    public void Replayed_deliveries_are_reported_as_duplicates_and_change_nothing() =>
        Check.One(Runs, Prop.ForAll(FeatureScenario.Arbitrary(), scenario =>
        {
            var once = new ScenarioStates(FeatureScenario.Lateness).Apply(scenario.Unique);
            var twice = new ScenarioStates(FeatureScenario.Lateness).Apply(scenario.Deliveries);
            var (from, to) = (scenario.Replayed.Start.Value, scenario.Replayed.End.Value);
            if (twice.UserOutcomes.Take(from..to).Any(o => o != ApplyOutcome.Duplicate))
                throw new FeatureMismatchException("a replayed delivery was not a duplicate");
            // What follows a replay is new: a guard that took it for one more duplicate would lose it.
            if (twice.UserOutcomes.Take(from).Concat(twice.UserOutcomes.Skip(to)).Any(o => o == ApplyOutcome.Duplicate))
                throw new FeatureMismatchException("a new delivery was taken for a duplicate");
            foreach (var (id, state) in once.Users)
            {
                var now = state.ReadTimeMs(scenario.ReadAt);
                FeatureAssert.SameVectors(FeatureAssert.Read(UserFeatures.All, state, now), FeatureAssert.Read(UserFeatures.All, twice.Users[id], now), FeatureNames.User, $"user {id}");
            }
            foreach (var (id, state) in once.Items)
            {
                if (!state.Neighbours.Counts.OrderBy(c => c.Key).SequenceEqual(twice.Items[id].Neighbours.Counts.OrderBy(c => c.Key)))
                    throw new FeatureMismatchException($"item {id}: co-visits changed by the replay");
            }
        }));

    [Fact]
    public void Draining_in_chunks_then_restoring_gives_the_same_state() =>
        Check.One(Runs, Prop.ForAll(FeatureScenario.Arbitrary(), Arb.From(Gen.Choose(1, 40)), (scenario, chunk) =>
        {
            // A dictionary per entity stands for its Redis hash: drained sets and deletes applied in order.
            var states = new ScenarioStates(FeatureScenario.Lateness);
            var hashes = new Dictionary<string, Dictionary<string, string>>();
            foreach (var part in scenario.Deliveries.Chunk(chunk))
            {
                states.Apply(part);
                foreach (var (id, state) in states.Users)
                {
                    var hash = hashes.TryGetValue(id, out var h) ? h : hashes[id] = [];
                    var changes = state.DrainChanges();
                    foreach (var (field, value) in changes.Set) hash[field] = value;
                    foreach (var field in changes.Delete) hash.Remove(field);
                }
            }
            foreach (var (id, state) in states.Users)
            {
                var restored = new UserFeatureState(id, FeatureScenario.Lateness);
                restored.Restore(hashes[id]);
                var now = state.ReadTimeMs(scenario.ReadAt);
                FeatureAssert.SameVectors(FeatureAssert.Read(UserFeatures.All, state, now), FeatureAssert.Read(UserFeatures.All, restored, now), FeatureNames.User, $"user {id}");
                if (!restored.Offsets.Covered.OrderBy(o => o.Key).SequenceEqual(state.Offsets.Covered.OrderBy(o => o.Key)))
                    throw new FeatureMismatchException($"user {id}: offsets not restored");
            }
        }));
    [Fact]
    public void A_whole_state_drain_after_a_lost_one_restores_the_same_state() =>
        Check.One(Runs, Prop.ForAll(FeatureScenario.Arbitrary(), Arb.From(Gen.Choose(1, 40)), Arb.From(Gen.Choose(0, 10)), (scenario, chunk, lost) =>
        {
            // As above, but one chunk's drains never reach the hashes (a writer's flush that was lost); the next drain is the
            // whole state (a new writer's first answer), which replaces each hash: nothing of the lost drain may be missing.
            var states = new ScenarioStates(FeatureScenario.Lateness);
            var hashes = new Dictionary<string, Dictionary<string, string>>();
            var chunks = scenario.Deliveries.Chunk(chunk).ToList();
            lost = chunks.Count < 2 ? -2 : Math.Min(lost, chunks.Count - 2); // a lost chunk always has one after it
            for (var c = 0; c < chunks.Count; c++)
            {
                states.Apply(chunks[c]);
                foreach (var (id, state) in states.Users.Select(u => (u.Key, (Engine.Models.Features.State.EntityFeatureState)u.Value))
                             .Concat(states.Campaigns.Select(k => ("campaign " + k.Key, (Engine.Models.Features.State.EntityFeatureState)k.Value))))
                {
                    if (c == lost + 1) state.MarkAllChanged();
                    var changes = state.DrainChanges();
                    if (c == lost) continue;
                    var hash = hashes.TryGetValue(id, out var h) ? h : hashes[id] = [];
                    if (changes.Replace != (c == lost + 1)) throw new FeatureMismatchException($"{id}: replace flag {changes.Replace} after chunk {c}");
                    if (changes.Replace) hash.Clear();
                    foreach (var (field, value) in changes.Set) hash[field] = value;
                    foreach (var field in changes.Delete) hash.Remove(field);
                }
            }
            foreach (var (id, state) in states.Users)
            {
                var restored = new UserFeatureState(id, FeatureScenario.Lateness);
                restored.Restore(hashes.GetValueOrDefault(id) ?? []);
                var now = state.ReadTimeMs(scenario.ReadAt);
                FeatureAssert.SameVectors(FeatureAssert.Read(UserFeatures.All, state, now), FeatureAssert.Read(UserFeatures.All, restored, now), FeatureNames.User, $"user {id}");
                if (!restored.Offsets.Covered.OrderBy(o => o.Key).SequenceEqual(state.Offsets.Covered.OrderBy(o => o.Key)))
                    throw new FeatureMismatchException($"user {id}: offsets not restored");
                if ((restored.Device, restored.Region, restored.LastPurchaseMs) != (state.Device, state.Region, state.LastPurchaseMs))
                    throw new FeatureMismatchException($"user {id}: segment or last purchase not restored");
            }
            foreach (var (id, state) in states.Campaigns)
            {
                var restored = new CampaignFeatureState(id, FeatureScenario.Lateness);
                restored.Restore(hashes.GetValueOrDefault("campaign " + id) ?? []);
                var now = state.ReadTimeMs(scenario.ReadAt);
                FeatureAssert.SameVectors(FeatureAssert.Read(CampaignFeatures.All, state, now), FeatureAssert.Read(CampaignFeatures.All, restored, now), FeatureNames.Campaign, $"campaign {id}");
                if (restored.SpentTotal != state.SpentTotal || !restored.Origins.Covered.OrderBy(o => o.Key).SequenceEqual(state.Origins.Covered.OrderBy(o => o.Key)))
                    throw new FeatureMismatchException($"campaign {id}: spend or origins not restored");
            }
        }));
}
