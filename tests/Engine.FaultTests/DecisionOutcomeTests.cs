using Engine.FaultTests.Harness;
using Engine.Models.Contracts;

namespace Engine.FaultTests;

/// <summary>The fault tests' decision check accepts a missing list only where the engine may have left it to a later click.</summary>
public sealed class DecisionOutcomeTests
{
    private const int Window = 512;

    /// <summary>Page events of user u: (event id, session, offset); each expects a list of its own.</summary>
    private static ExpectedLists Expecting(params (string Id, string? Session, long Offset)[] clicks)
    {
        var causes = clicks.ToDictionary(c => c.Id, c => new ListCause(c.Id, "u", c.Session, c.Offset, c.Id.StartsWith("search", StringComparison.Ordinal) ? EventType.Search : EventType.ProductView));
        return new ExpectedLists(causes.Values.ToDictionary(c => List(c.EventId), c => c), causes);
    }

    private static string List(string click) => DecisionIds.Derive("recommendation", click);

    private static DecisionOutcome Read(ExpectedLists expected, params string[] listed) => Read(expected, Window, listed);

    private static DecisionOutcome Read(ExpectedLists expected, int window, params string[] listed) =>
        DecisionOutcome.Of([], [.. listed.Select(click => (List(click), click))], new HashSet<string>(), expected, window);

    [Fact]
    public void Without_conflation_every_expected_list_must_be_there()
    {
        var outcome = Read(Expecting(("a", "s", 10), ("b", "s", 11)), window: 0, "b");
        Assert.Equal((1, 0), (outcome.RecommendationsMissing, outcome.RecommendationsReplaced));
    }

    [Fact]
    public void Lists_left_along_a_session_to_a_later_click_that_sent_one_are_replaced_not_missing()
    {
        var outcome = Read(Expecting(("a", "s", 10), ("b", "s", 11), ("c", "s", 12), ("d", "s", 13)), "a", "d");
        Assert.Equal((0, 2), (outcome.RecommendationsMissing, outcome.RecommendationsReplaced));
        outcome.AssertNothingLost();
    }

    [Theory]
    [InlineData("the session's latest list is gone: nothing later replaces it")]
    [InlineData("the next click is a window or more later: never read with it")]
    [InlineData("the next click has no session: it sends a list of its own")]
    [InlineData("the next click is of another session")]
    [InlineData("the next click is a search, which sends no list while its session has no clicks")]
    public void A_list_no_later_click_of_its_session_read_with_it_could_replace_is_missing(string why)
    {
        var (expected, listed) = why switch
        {
            "the session's latest list is gone: nothing later replaces it" => (Expecting(("a", "s", 10), ("b", "s", 11)), new[] { "a" }),
            "the next click is a window or more later: never read with it" => (Expecting(("a", "s", 10), ("b", "s", 10 + Window)), ["b"]),
            "the next click has no session: it sends a list of its own" => (Expecting(("a", "s", 10), ("b", null, 11), ("c", "s", 12)), ["b", "c"]),
            "the next click is of another session" => (Expecting(("a", "s", 10), ("b", "s2", 11)), ["b"]),
            _ => (Expecting(("a", "s", 10), ("search-b", "s", 11), ("c", "s", 12)), ["search-b", "c"]),
        };
        var outcome = Read(expected, listed);
        Assert.Equal(1, outcome.RecommendationsMissing);
        Assert.Throws<Xunit.Sdk.TrueException>(outcome.AssertNothingLost);
    }
}
