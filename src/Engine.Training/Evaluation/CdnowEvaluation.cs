using Engine.Models.Features;
using Engine.Training.Data;
using Engine.Training.Features;
using Engine.Training.Ml;

namespace Engine.Training.Evaluation;

/// <summary>
/// CDNOW churn: features as of 1997-09-30 (purchases replayed as purchase events through <see cref="UserHistory"/>,
/// plus lifetime purchase statistics the engine's 30-day windows cannot see), churned = no purchase from 1997-10-01 to
/// 1998-06-30. 5-fold cross-validation (seeded folds), AUC of the pooled out-of-fold predictions.
/// </summary>
public static class CdnowEvaluation
{
    public static readonly DateTimeOffset Cutoff = new(1997, 10, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset HoldoutEnd = new(1998, 7, 1, 0, 0, 0, TimeSpan.Zero);
    /// <summary>Many shallow trees: the signal is a few smooth effects (recency, frequency); five settings tried all gave 0.771-0.773.</summary>
    public static readonly TreeOptions Trees = new(Trees: 500, Leaves: 4, MinLeafCount: 100, LearningRate: 0.02);

    private static readonly string[] Lifetime =
    [
        "transactions", "distinct_days", "total_dollars", "total_cds", "tenure_days", "active_span_days", "mean_gap_days",
        "recency_over_mean_gap", "transactions_90d", "transactions_180d", "dollars_90d", "first_dollars", "max_dollars",
        "distinct_days_30d", "distinct_days_60d", "distinct_days_120d", "days_since_second_last", "days_per_purchase_day", "repeat_rate_after_first", "dollars_per_cd",
        "days_in_month_1", "days_in_month_2", "days_in_month_3", "days_in_month_4", "days_in_month_5", "days_in_month_6", "days_in_month_7",
        "days_in_month_8", "days_in_month_9", "days_since_last",
        "dollars_4w", "dollars_8w", "dollars_13w", "dollars_26w", "days_8w", "days_13w", "days_26w",
        "gap_std_days", "last_gap_days", "recency_over_last_gap", "spend_trend", "cds_per_day",
        "bgnbd_x", "bgnbd_tx_weeks", "bgnbd_t_weeks", "bgnbd_p_alive", "bgnbd_p_no_purchase",
    ];

    /// <summary>Length of the churn window in weeks (1997-10-01 to 1998-06-30), the BG/NBD horizon.</summary>
    private static readonly double HorizonWeeks = (HoldoutEnd - Cutoff).TotalDays / 7;

    /// <param name="Auc">Trees, pooled out-of-fold, on the folds of the run's seed: the folds the recipe (trees, features) was chosen on.</param>
    /// <param name="Fresh">The same recipe and the logistic baseline on fold draws it was never chosen on.</param>
    public sealed record Result(int Customers, double ChurnRate, double Auc, double RecencyAuc, double LogisticRfmtAuc, double BgNbdAuc, BgNbd BgNbd,
        FreshFolds? Fresh = null);

    /// <summary>
    /// Trees and logistic regression on <see cref="Seeds"/>'s fold draws, none of them the one the recipe was chosen on
    /// (a review, 2026-12-07: the seed's own figure is the best of dozens of variants on those folds). Mean, lowest and
    /// highest of the pooled out-of-fold AUCs: how much the figure hangs on the split. Not a held-out check: the draws
    /// reshuffle the customers the recipe was chosen on (that needs nested cross-validation).
    /// </summary>
    public sealed record FreshFolds(IReadOnlyList<int> Seeds, double TreesMean, double TreesMin, double TreesMax, double LogisticMean, double LogisticMin,
        double LogisticMax, double LeadMin, double LeadMax);

    /// <summary>How many fresh fold draws <see cref="Run"/> scores beside the seed's own.</summary>
    public const int FreshDraws = 5;

    /// <summary>
    /// One row per customer who bought before <see cref="Cutoff"/> (ordered by id): features from those purchases only,
    /// label churned (no purchase from the cutoff to <see cref="HoldoutEnd"/>, excluded).
    /// </summary>
    /// <param name="Rfmt">Per row: days since the last purchase, transactions, dollars, tenure days (the baselines' inputs).</param>
    /// <param name="BgNbdScores">Per row: BG/NBD's P(no purchase in the churn window).</param>
    public sealed record Rows(List<string> Customers, Dataset Data, List<float[]> Rfmt, List<double> BgNbdScores, BgNbd BgNbd);

    public static Result Run(string folder, int seed, TextWriter log)
    {
        var (_, data, rfmt, bgnbdScores, bgnbd) = Build(Cdnow.Read(Path.Combine(folder, "CDNOW_master.txt")));
        log.WriteLine($"  cdnow BG/NBD: r {bgnbd.R:F4} alpha {bgnbd.Alpha:F4} a {bgnbd.A:F4} b {bgnbd.B:F4} (weeks)");

        var (trees, logistic) = CrossValidate(data, rfmt, seed);
        var result = new Result(data.Count, data.PositiveRate, trees, Metrics.Auc(rfmt.Select(r => (double)r[0]).ToArray(), data.Labels), logistic,
            Metrics.Auc(bgnbdScores.ToArray(), data.Labels), bgnbd);
        log.WriteLine($"  cdnow: {result.Customers} customers, {result.ChurnRate:P1} churned; 5-fold AUC trees {result.Auc:F4}, recency {result.RecencyAuc:F4}, logistic RFMT {result.LogisticRfmtAuc:F4}, BG/NBD P(no purchase) {result.BgNbdAuc:F4}");

        var seeds = Enumerable.Range(1, FreshDraws).Select(k => seed + 1000 * k).ToList();
        var draws = seeds.Select(s => CrossValidate(data, rfmt, s)).ToList();
        var leads = draws.Select(d => d.Trees - d.Logistic).ToList();
        var fresh = new FreshFolds(seeds, draws.Average(d => d.Trees), draws.Min(d => d.Trees), draws.Max(d => d.Trees),
            draws.Average(d => d.Logistic), draws.Min(d => d.Logistic), draws.Max(d => d.Logistic), leads.Min(), leads.Max());
        log.WriteLine($"  cdnow, {FreshDraws} fresh fold draws: trees {fresh.TreesMean:F4} ({fresh.TreesMin:F4}-{fresh.TreesMax:F4}), " +
                      $"logistic RFMT {fresh.LogisticMean:F4} ({fresh.LogisticMin:F4}-{fresh.LogisticMax:F4}), lead {fresh.LeadMin:F4}-{fresh.LeadMax:F4}");
        return result with { Fresh = fresh };
    }

    /// <summary>Pooled out-of-fold AUC of the trees and of the logistic baseline on the 5 folds <paramref name="seed"/> draws.</summary>
    private static (double Trees, double Logistic) CrossValidate(Dataset data, List<float[]> rfmt, int seed)
    {
        var trees = new double[data.Count];
        var logistic = new double[data.Count];
        foreach (var fold in data.Folds(5, seed))
        {
            var heldOut = fold.ToHashSet();
            var trainIdx = Enumerable.Range(0, data.Count).Where(i => !heldOut.Contains(i)).ToArray();
            var model = FastTreeModel.Train(data.Subset(trainIdx), Trees, seed);
            var predicted = model.Predict(fold.Select(i => data.Rows[i]).ToList());
            for (var j = 0; j < fold.Length; j++) trees[fold[j]] = predicted[j];
            var lr = DenseLogistic.Train(trainIdx.Select(i => rfmt[i]).ToList(), trainIdx.Select(i => data.Labels[i]).ToList());
            foreach (var i in fold) logistic[i] = lr.Predict(rfmt[i]);
        }
        return (Metrics.Auc(trees, data.Labels), Metrics.Auc(logistic, data.Labels));
    }

    public static Rows Build(IReadOnlyList<Cdnow.Purchase> purchases)
    {
        var data = Dataset.Empty([.. FeatureNames.User, .. Lifetime]);
        var rfmt = new List<float[]>();
        var customers = purchases.Select((p, line) => (p, line)).GroupBy(x => x.p.Customer).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (Id: g.Key, Purchases: g.ToList(), Before: g.Where(x => x.p.Date < Cutoff).OrderBy(x => x.p.Date).ToList()))
            .Where(c => c.Before.Count > 0)
            .ToList();
        // Fitted on calibration purchases only and without labels, so using every customer's summary leaks nothing.
        var bgnbd = BgNbd.Fit(customers.Select(c => Summarize(c.Before.Select(x => x.p).ToList())).ToList());
        var bgnbdScores = new List<double>();
        foreach (var (_, customer, before) in customers)
        {
            var history = new UserHistory();
            foreach (var (p, line) in before) history.Add(Cdnow.ToEvent(p, line));
            var user = new float[FeatureNames.User.Count];
            history.WriteAt(Cutoff, user);
            var lifetime = LifetimeFeatures(before.Select(x => x.p).ToList(), bgnbd);
            bgnbdScores.Add(lifetime[^1]);
            data.Add([.. user, .. lifetime], !customer.Any(x => x.p.Date >= Cutoff && x.p.Date < HoldoutEnd));
            rfmt.Add([lifetime[29], lifetime[0], lifetime[2], lifetime[4]]);
        }
        return new Rows(customers.Select(c => c.Id).ToList(), data, rfmt, bgnbdScores, bgnbd);
    }

    /// <summary>BG/NBD summary in weeks: repeat purchase days, the last one's time and the calibration length, from the first purchase.</summary>
    private static BgNbd.Summary Summarize(List<Cdnow.Purchase> before)
    {
        var days = before.Select(p => p.Date).Distinct().ToList();
        return new BgNbd.Summary(days.Count - 1, (days[^1] - days[0]).TotalDays / 7, (Cutoff - days[0]).TotalDays / 7);
    }

    private static float[] LifetimeFeatures(List<Cdnow.Purchase> before, BgNbd bgnbd)
    {
        var first = before[0].Date;
        var last = before[^1].Date;
        var days = before.Select(p => p.Date).Distinct().Count();
        var span = (float)(last - first).TotalDays;
        var meanGap = days > 1 ? span / (days - 1) : 0f;
        var sinceLast = (float)(Cutoff - last).TotalDays;
        float DaysWithin(int window) => before.Where(p => Cutoff - p.Date <= TimeSpan.FromDays(window)).Select(p => p.Date).Distinct().Count();
        return
        [
            before.Count, days, (float)before.Sum(p => p.Dollars), before.Sum(p => p.Cds), (float)(Cutoff - first).TotalDays, span, meanGap,
            meanGap > 0 ? sinceLast / meanGap : -1,
            before.Count(p => Cutoff - p.Date <= TimeSpan.FromDays(90)), before.Count(p => Cutoff - p.Date <= TimeSpan.FromDays(180)),
            (float)before.Where(p => Cutoff - p.Date <= TimeSpan.FromDays(90)).Sum(p => p.Dollars),
            (float)before[0].Dollars, (float)before.Max(p => p.Dollars),
            DaysWithin(30), DaysWithin(60), DaysWithin(120),
            before.Select(p => p.Date).Distinct().OrderByDescending(d => d).Skip(1).Select(d => (float)(Cutoff - d).TotalDays).DefaultIfEmpty(-1).First(),
            (float)(Cutoff - first).TotalDays / days,
            span > 0 ? (days - 1) / span : 0,
            (float)before.Sum(p => p.Dollars) / Math.Max(1, before.Sum(p => p.Cds)),
            .. Enumerable.Range(1, 9).Select(m => (float)before.Where(p => p.Date.Month == m).Select(p => p.Date).Distinct().Count()),
            sinceLast,
            .. Recent(before, sinceLast, bgnbd),
        ];
    }

    private static float[] Recent(List<Cdnow.Purchase> before, float sinceLast, BgNbd bgnbd)
    {
        float Dollars(int weeks) => (float)before.Where(p => Cutoff - p.Date <= TimeSpan.FromDays(7 * weeks)).Sum(p => p.Dollars);
        float Days(int weeks) => before.Where(p => Cutoff - p.Date <= TimeSpan.FromDays(7 * weeks)).Select(p => p.Date).Distinct().Count();
        var days = before.Select(p => p.Date).Distinct().ToList();
        var gaps = days.Zip(days.Skip(1), (a, b) => (b - a).TotalDays).ToList();
        var meanGap = gaps.Count > 0 ? gaps.Average() : 0;
        var std = gaps.Count > 1 ? Math.Sqrt(gaps.Average(g => (g - meanGap) * (g - meanGap))) : -1;
        var lastGap = gaps.Count > 0 ? gaps[^1] : -1;
        // Spend trend: dollars in the second half of the customer's own span over the first half.
        var mid = before[0].Date + (before[^1].Date - before[0].Date) / 2;
        var early = before.Where(p => p.Date <= mid).Sum(p => p.Dollars);
        var late = before.Where(p => p.Date > mid).Sum(p => p.Dollars);
        var summary = Summarize(before);
        return
        [
            Dollars(4), Dollars(8), Dollars(13), Dollars(26), Days(8), Days(13), Days(26),
            (float)std, (float)lastGap, lastGap > 0 ? (float)(sinceLast / lastGap) : -1,
            (float)(late / Math.Max(1m, early)), before.Sum(p => p.Cds) / (float)days.Count,
            summary.X, (float)summary.Tx, (float)summary.T, (float)bgnbd.ProbabilityAlive(summary), (float)bgnbd.ProbabilityNoPurchase(summary, HorizonWeeks),
        ];
    }
}
