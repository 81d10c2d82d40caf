using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Models.Features;
using Engine.Models.Recommendations;
using Engine.Models.Tests.Experiments;
using Engine.Models.Tests.Scoring;

namespace Engine.Models.Tests.Decisions;

/// <summary>The decider's memo skips the recommender only when its inputs are what they were.</summary>
public sealed class RecommendationMemoTests
{
    private static readonly string Item =
        File.ReadLines(Path.Combine(Path.GetDirectoryName(ModelFiles.Committed("recs"))!, RecommenderFiles.SessionsFile)).First().Split('\t')[1].Split(' ')[0];

    /// <summary>The committed models' decider, and a user who viewed <see cref="Item"/> in session s1.</summary>
    private static (UserDecider Decider, UserFeatureState User, ClickEvent View) Viewed()
    {
        var user = new UserFeatureState("u-1");
        var view = new ClickEvent { EventId = "e-1", EventTime = DateTimeOffset.UnixEpoch.AddDays(20_000), UserId = "u-1", SessionId = "s1",
            Type = EventType.ProductView, ItemId = Item, Category = "c" };
        user.Apply(view, new EventPosition(0, 0));
        return (new UserDecider(CommittedModels.Decision, new DecisionSettings(), new CampaignBoard()), user, view);
    }

    [Fact]
    public void Another_bought_set_of_the_same_size_asks_again_and_the_new_list_leaves_its_item_out()
    {
        // Before 2026-12-06 the memo held the bought set's size only: a purchase in a new session (one item, as before)
        // kept the last list live, with the item just bought in it.
        var (decider, user, view) = Viewed();
        var memo = new RecommendationMemo();
        var first = decider.Recommend(user, view, new HashSet<string> { "not-listed" }, ref memo)!;
        var listed = first.Items[0].ItemId;

        var purchase = view with { EventId = "e-2", SessionId = "s2", Type = EventType.Purchase, ItemId = listed, EventTime = view.EventTime.AddMinutes(40) };
        var again = decider.Recommend(user, purchase, new HashSet<string> { listed }, ref memo);

        Assert.NotNull(again);
        Assert.DoesNotContain(listed, again.Items.Select(i => i.ItemId));
        // The same inputs once more: the memo answers, the recommender is not asked.
        Assert.Null(decider.Recommend(user, purchase, new HashSet<string> { listed }, ref memo));
    }

    /// <summary>
    /// A purchase's own list leaves its item out even when the bought set passed does not hold it (a replayed purchase of an
    /// earlier session, or one stamped behind the session clock): before 2026-12-07 it could offer what was just bought.
    /// </summary>
    [Fact]
    public void A_purchases_own_list_leaves_its_item_out_whatever_the_bought_set()
    {
        var (decider, user, view) = Viewed();
        var memo = new RecommendationMemo();
        var listed = decider.Recommend(user, view, new HashSet<string>(), ref memo)!.Items[0].ItemId;

        var purchase = view with { EventId = "e-2", Type = EventType.Purchase, ItemId = listed, EventTime = view.EventTime.AddMinutes(1) };
        memo = new RecommendationMemo(); // a replay: the list is made again
        var list = decider.Recommend(user, purchase, new HashSet<string>(), ref memo);

        Assert.NotNull(list);
        Assert.DoesNotContain(listed, list.Items.Select(i => i.ItemId));
    }
}
