using Engine.Host.Reports;
using Engine.Models.Experiments;
using Engine.Models.Experiments.Outcomes;

namespace Engine.Host.Tests.Reports;

public sealed class ShadowSummaryTests
{
    /// <summary>
    /// A shadow churn challenger is logged at each check while the champion stays armed: three checks of two users are two
    /// users it would have alerted, which the report now says beside the checks (a review, 2026-12-07).
    /// </summary>
    [Fact]
    public void A_shadow_challengers_actions_are_also_counted_by_distinct_user()
    {
        ShadowScore Check(string user, bool alert) =>
            new("churn-threshold", "churn_alert", user, "sweep:1", "m", 0.65, alert, "threshold 0.6 (champion 0.7)", DateTimeOffset.UnixEpoch);
        var snapshot = new TopicSnapshot([], [], [Check("u-1", true), Check("u-1", true), Check("u-2", true), Check("u-3", false)]);

        var report = ExperimentsReport.From(snapshot, OutcomeWindows.Default, from: null);

        var shadow = Assert.Single(report.Shadow);
        Assert.Equal((4, 3, 2), (shadow.Logged, shadow.WouldDecide, shadow.Users));
        Assert.Contains("would have acted on 3 (for 2 users", ExperimentsReportOutput.Markdown(report));
    }
}
