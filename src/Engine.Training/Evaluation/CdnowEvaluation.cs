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
    ];

    public sealed record Result(int Customers, double ChurnRate, double Auc, double RecencyAuc, double LogisticRfmtAuc);

    public static Result Run(string folder, int seed, TextWriter log)
    {
        var purchases = Cdnow.Read(Path.Combine(folder, "CDNOW_master.txt"));
        var data = Dataset.Empty([.. FeatureNames.User, .. Lifetime]);
        var rfmt = new List<float[]>();
        foreach (var customer in purchases.Select((p, line) => (p, line)).GroupBy(x => x.p.Customer).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var before = customer.Where(x => x.p.Date < Cutoff).OrderBy(x => x.p.Date).ToList();
            if (before.Count == 0) continue;
            var history = new UserHistory();
            foreach (var (p, line) in before) history.Add(Cdnow.ToEvent(p, line));
            var user = new float[FeatureNames.User.Count];
            history.WriteAt(Cutoff, user);
            var lifetime = LifetimeFeatures(before.Select(x => x.p).ToList());
            data.Add([.. user, .. lifetime], !customer.Any(x => x.p.Date >= Cutoff && x.p.Date < HoldoutEnd));
            rfmt.Add([lifetime[^1], lifetime[0], lifetime[2], lifetime[4]]);
        }

        var folds = data.Folds(5, seed);
        var trees = new double[data.Count];
        var logistic = new double[data.Count];
        foreach (var fold in folds)
        {
            var heldOut = fold.ToHashSet();
            var trainIdx = Enumerable.Range(0, data.Count).Where(i => !heldOut.Contains(i)).ToArray();
            var model = FastTreeModel.Train(data.Subset(trainIdx), Trees, seed);
            var predicted = model.Predict(fold.Select(i => data.Rows[i]).ToList());
            for (var j = 0; j < fold.Length; j++) trees[fold[j]] = predicted[j];
            var lr = DenseLogistic.Train(trainIdx.Select(i => rfmt[i]).ToList(), trainIdx.Select(i => data.Labels[i]).ToList());
            foreach (var i in fold) logistic[i] = lr.Predict(rfmt[i]);
        }
        var result = new Result(data.Count, data.PositiveRate, Metrics.Auc(trees, data.Labels),
            Metrics.Auc(rfmt.Select(r => (double)r[0]).ToArray(), data.Labels), Metrics.Auc(logistic, data.Labels));
        log.WriteLine($"  cdnow: {result.Customers} customers, {result.ChurnRate:P1} churned; 5-fold AUC trees {result.Auc:F4}, recency {result.RecencyAuc:F4}, logistic RFMT {result.LogisticRfmtAuc:F4}");
        return result;
    }

    private static float[] LifetimeFeatures(List<Cdnow.Purchase> before)
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
        ];
    }
}
