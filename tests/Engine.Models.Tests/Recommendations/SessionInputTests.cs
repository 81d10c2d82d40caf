using Engine.Models.Contracts;
using Engine.Models.Features;
using Engine.Models.Recommendations;

namespace Engine.Models.Tests.Recommendations;

/// <summary>The recommender is asked in serving with what training and evaluation ask it with.</summary>
public sealed class SessionInputTests
{
    [Fact]
    public void The_users_state_after_each_click_holds_the_input_training_and_evaluation_use()
    {
        // Before 2026-12-06 the state kept the latest 5 distinct items; the re-ranker was trained and evaluated on whole
        // prefixes with repeats, so the lists served were not the ones evaluated.
        var random = new Random(5);
        for (var session = 0; session < 200; session++)
        {
            var clicks = Enumerable.Range(0, random.Next(1, 40)).Select(_ => $"i{random.Next(8)}").ToList();
            var user = new UserFeatureState("u");
            var start = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
            for (var n = 1; n <= clicks.Count; n++)
            {
                user.Apply(new ClickEvent
                {
                    EventId = $"e{session}-{n}", EventTime = start.AddSeconds(n), UserId = "u", SessionId = $"s{session}", Type = EventType.ProductView, ItemId = clicks[n - 1],
                }, new Engine.Models.Features.EventPosition(0, session * 100 + n));
                var served = user.SessionItems.Reverse().ToList(); // the decider asks oldest first
                Assert.Equal(SessionInput.After(clicks, n), served);
            }
        }
    }

    [Fact]
    public void A_view_is_co_visited_with_the_latest_five_distinct_other_items_repeats_counted_once()
    {
        var user = new UserFeatureState("u");
        var clicks = new[] { "a", "b", "a", "c", "d", "e", "f", "e", "g" };
        var coVisited = new List<string>();
        for (var n = 0; n < clicks.Length; n++)
        {
            coVisited.Clear();
            user.Apply(new ClickEvent
            {
                EventId = $"e{n}", EventTime = new DateTimeOffset(2026, 3, 1, 0, 0, n, TimeSpan.Zero), UserId = "u", SessionId = "s", Type = EventType.ProductView, ItemId = clicks[n],
            }, new Engine.Models.Features.EventPosition(0, n), coVisited);
        }
        // Before "g": e, f, e, d, c, a, b, a latest first: the latest 5 distinct are e, f, d, c, a.
        Assert.Equal(["e", "f", "d", "c", "a"], coVisited);
    }
}
