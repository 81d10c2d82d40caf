using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Models.Recommendations;
using Engine.Training.Training;

namespace Engine.Training.Evaluation;

/// <summary>The figures of one <c>./engine evaluate</c> run, written as evaluation.json (nested: <c>yoochoose.hr20_first100</c>, ...) and evaluation.md.</summary>
public sealed class EvaluationReport
{
    public required string DataFolder { get; init; }
    public required int Seed { get; init; }
    public (SimulatedModels.Figures Models, SimulatedRecEvaluation.Result Recs, string World)? Simulator { get; set; }
    /// <summary>The simulator's re-ranker on validation sessions of the training world (its settings are chosen there).</summary>
    public SimulatedRecEvaluation.Result? SimulatorRecsValidation { get; set; }
    /// <summary>Decision rates and score distributions by segment on the simulator (part of its section).</summary>
    public SimulatedFairness.Result? Fairness { get; set; }
    public YooChooseEvaluation.Result? YooChoose { get; set; }
    public Dictionary<string, SessionRecEvaluation.Score> YooChooseBaselines { get; set; } = [];
    public CdnowEvaluation.Result? Cdnow { get; set; }
    public CtrEvaluation.Result? Criteo { get; set; }
    public CtrEvaluation.Result? Avazu { get; set; }

    public void Write(DirectoryInfo outDir, string command)
    {
        outDir.Create();
        SessionRecsCheck.Outcome? check = null;
        if (YooChoose is not null)
        {
            var csv = Path.Combine(outDir.FullName, "yoochoose_first100_recs.csv");
            File.WriteAllText(csv, YooChoose.First100Csv);
            // Before the report is written: a disagreement stops the evaluation rather than publishing figures the tool contradicts.
            check = SessionRecsCheck.Run(DataFolder, csv, YooChoose.First100, YooChooseEvaluation.K);
        }
        var json = Json(command, check);
        File.WriteAllText(Path.Combine(outDir.FullName, "evaluation.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        File.WriteAllText(Path.Combine(outDir.FullName, "evaluation.md"), Markdown(command, check));
    }

    private JsonObject Json(string command, SessionRecsCheck.Outcome? check)
    {
        var json = new JsonObject { ["command"] = command, ["data"] = DataFolder, ["seed"] = Seed };
        if (Simulator is var (m, r, world))
            json["simulator"] = new JsonObject
            {
                ["world"] = world,
                ["churn_auc"] = R(m.ChurnAuc), ["churn_auc_vs_truth"] = R(m.ChurnTruthAuc), ["churn_recency_auc"] = R(m.ChurnRecencyAuc),
                ["ctr_auc"] = R(m.BidAuc), ["ctr_oracle_auc"] = R(m.BidOracleAuc), ["ctr_campaign_ctr_auc"] = R(m.BidCampaignCtrAuc),
                ["ctr_correlation_with_true_ctr"] = R(m.BidCorrelationWithTrueCtr),
                ["rec_hr10"] = R(r.HitRate), ["rec_mrr10"] = R(r.Mrr), ["rec_blend_hr10"] = R(r.BlendHitRate), ["rec_blend_mrr10"] = R(r.BlendMrr), ["rec_popularity_hr10"] = R(r.PopularityHitRate), ["rec_popularity_mrr10"] = R(r.PopularityMrr),
                ["rec_positions"] = r.Positions,
                ["rec_validation_hr10"] = SimulatorRecsValidation is { } v ? R(v.HitRate) : null,
                ["rec_validation_mrr10"] = SimulatorRecsValidation is { } vm ? R(vm.Mrr) : null,
                ["fairness"] = Fairness is { } f ? FairnessSection.Json(f) : null,
            };
        if (YooChoose is { } y)
            json["yoochoose"] = new JsonObject
            {
                ["hr20_first100"] = R(y.First100.HitRate), ["mrr20_first100"] = R(y.First100.Mrr), ["positions_first100"] = y.First100.Positions,
                ["hr20_all"] = R(y.All.HitRate), ["mrr20_all"] = R(y.All.Mrr), ["positions_all"] = y.All.Positions,
                ["validation_hr20"] = R(y.Validation.HitRate), ["validation_mrr20"] = R(y.Validation.Mrr),
                ["blend_hr20_first100"] = R(y.BlendFirst100.HitRate), ["blend_mrr20_first100"] = R(y.BlendFirst100.Mrr),
                ["blend_hr20_all"] = R(y.BlendAll.HitRate), ["blend_mrr20_all"] = R(y.BlendAll.Mrr),
                ["reranker_rows"] = y.Reranker.Rows, ["reranker_trees"] = y.Reranker.Trees.ToString(),
                ["reranker_validation_hr20"] = R(y.Reranker.Learned.HitRate), ["reranker_validation_mrr20"] = R(y.Reranker.Learned.Mrr),
                ["blend_validation_hr20"] = R(y.Reranker.Blend.HitRate), ["blend_validation_mrr20"] = R(y.Reranker.Blend.Mrr),
                ["options"] = y.Options.ToString(),
                ["check_score_session_recs"] = check?.Text,
                ["baselines_first100"] = new JsonObject(YooChooseBaselines.Select(kv => KeyValuePair.Create(kv.Key,
                    (JsonNode?)new JsonObject { ["hr20"] = R(kv.Value.HitRate), ["mrr20"] = R(kv.Value.Mrr), ["positions"] = kv.Value.Positions }))),
            };
        if (Cdnow is not null)
            json["cdnow"] = new JsonObject
            {
                ["auc"] = R(Cdnow.Auc), ["recency_auc"] = R(Cdnow.RecencyAuc), ["logistic_rfmt_auc"] = R(Cdnow.LogisticRfmtAuc), ["bgnbd_auc"] = R(Cdnow.BgNbdAuc),
                ["bgnbd"] = new JsonObject { ["r"] = R(Cdnow.BgNbd.R), ["alpha"] = R(Cdnow.BgNbd.Alpha), ["a"] = R(Cdnow.BgNbd.A), ["b"] = R(Cdnow.BgNbd.B) },
                ["customers"] = Cdnow.Customers, ["churn_rate"] = R(Cdnow.ChurnRate), ["protocol"] = "5-fold CV, pooled out-of-fold AUC",
                ["fresh_folds"] = Cdnow.Fresh is { } fresh
                    ? new JsonObject
                    {
                        ["seeds"] = new JsonArray([.. fresh.Seeds.Select(s => (JsonNode?)s)]), ["auc_mean"] = R(fresh.TreesMean), ["auc_min"] = R(fresh.TreesMin),
                        ["auc_max"] = R(fresh.TreesMax), ["logistic_rfmt_auc_mean"] = R(fresh.LogisticMean), ["lead_min"] = R(fresh.LeadMin), ["lead_max"] = R(fresh.LeadMax),
                    }
                    : null,
            };
        if (Criteo is not null) json["criteo"] = Ctr(Criteo);
        if (Avazu is not null) json["avazu"] = Ctr(Avazu);
        return json;

        static JsonObject Ctr(CtrEvaluation.Result c) => new()
        {
            ["auc"] = R(c.BlendAuc), ["baseline_lr_auc"] = R(c.BaselineLogisticAuc), ["tuned_lr_auc"] = R(c.TunedLogisticAuc),
            ["trees_auc"] = R(c.TreesAuc), ["fm_auc"] = R(c.FactorizationAuc),
            ["blend_weights"] = c.Blend.ToString(), ["train_rows"] = c.TrainRows, ["test_rows"] = c.TestRows,
            ["baseline_lr_settings"] = c.BaselineLogisticSettings,
            ["tuned_lr_settings"] = c.LogisticSettings, ["tree_settings"] = c.TreeSettings, ["fm_settings"] = c.FactorizationSettings,
            ["cv_tuned_lr_auc"] = R(c.ValidationLogisticAuc), ["cv_trees_auc"] = R(c.ValidationTreesAuc), ["cv_fm_auc"] = R(c.ValidationFactorizationAuc),
            ["cv_blend_auc"] = R(c.ValidationBlendAuc),
            ["cv_best_blend_with_fm_auc"] = R(c.ValidationBestWithFactorizationAuc), ["cv_best_blend_with_fm_weights"] = c.BestWithFactorization.ToString(),
            ["protocol"] = "settings and blend weights by 5-fold CV on train+dev (FM joins the blend only if it lifts CV AUC by 0.003); refit on train+dev; test scored once",
        };
    }

    private string Markdown(string command, SessionRecsCheck.Outcome? check)
    {
        var md = new StringBuilder();
        md.AppendLine("# Model evaluation").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Produced by `{command}` (data: `{DataFolder}`, seed {Seed}).").AppendLine();
        if (YooChoose is { } y) YooChooseSection(md, y, check);
        if (Cdnow is not null) CdnowSection(md, Cdnow);
        var ctr = new[] { Criteo, Avazu }.OfType<CtrEvaluation.Result>().ToList();
        if (ctr.Count > 0) CtrSection(md, ctr);
        if (Simulator is var (m, r, world)) SimulatorSection(md, m, r, SimulatorRecsValidation, world);
        if (Fairness is { } f) FairnessSection.Markdown(md, f);
        return md.ToString();
    }

    private void YooChooseSection(StringBuilder md, YooChooseEvaluation.Result y, SessionRecsCheck.Outcome? check)
    {
        md.AppendLine("## Recommendations, YooChoose-100k (train on train_full, stream test, top 20 after each click)").AppendLine();
        md.AppendLine("| algorithm | HR@20 first 100 | MRR@20 first 100 | HR@20 all | MRR@20 all |").AppendLine("|---|---|---|---|---|");
        md.AppendLine(CultureInfo.InvariantCulture, $"| **engine (candidates: VSKNN + sequential co-visitation + session items; learned re-ranker in ONNX)** | **{y.First100.HitRate:F4}** | **{y.First100.Mrr:F4}** | {y.All.HitRate:F4} | {y.All.Mrr:F4} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| engine candidates ranked by the blended score alone | {y.BlendFirst100.HitRate:F4} | {y.BlendFirst100.Mrr:F4} | {y.BlendAll.HitRate:F4} | {y.BlendAll.Mrr:F4} |");
        foreach (var (name, s) in YooChooseBaselines) md.AppendLine(CultureInfo.InvariantCulture, $"| {name} (published top lists) | {s.HitRate:F4} | {s.Mrr:F4} | | |");
        md.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"First 100 sessions: {y.First100.Positions} positions; all: {y.All.Positions}. Blend tuned on the last 10% of training sessions (HR@20 {y.Validation.HitRate:F4}, MRR@20 {y.Validation.Mrr:F4}): `{y.Options}`.");
        md.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"Re-ranker: FastTree binary (label: the candidate is the next click) over {CandidateFeatures.Width} candidate features, trained on the clicks of the first 90% of training sessions ({y.Reranker.Rows:N0} candidate rows), in 5 folds each scored against an index of the other folds; settings `{y.Reranker.Trees}` chosen on the validation sessions (HR@20 {y.Reranker.Learned.HitRate:F4}, MRR@20 {y.Reranker.Learned.Mrr:F4}; blend alone {y.Reranker.Blend.HitRate:F4} / {y.Reranker.Blend.Mrr:F4}). The test is streamed once through the ONNX path with an index of all of train_full.");
        if (check is not null) md.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"Check with score_session_recs.py on yoochoose_first100_recs.csv: `{check.Text}`");
        md.AppendLine();
    }

    private static void CdnowSection(StringBuilder md, CdnowEvaluation.Result cdnow)
    {
        md.AppendLine("## Churn, CDNOW (features as of 1997-09-30, churned = no purchase 1997-10-01..1998-06-30)").AppendLine();
        md.AppendLine("| model | AUC (5-fold CV) |").AppendLine("|---|---|");
        md.AppendLine(CultureInfo.InvariantCulture, $"| **engine: FastTree on replayed user features + lifetime purchase statistics** | **{cdnow.Auc:F4}** |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| BG/NBD P(no purchase in the 39 weeks) alone (r {cdnow.BgNbd.R:F3}, alpha {cdnow.BgNbd.Alpha:F3}, a {cdnow.BgNbd.A:F3}, b {cdnow.BgNbd.B:F3}; weeks) | {cdnow.BgNbdAuc:F4} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| logistic regression on recency/frequency/monetary/tenure (reproduced) | {cdnow.LogisticRfmtAuc:F4} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| recency alone (reproduced) | {cdnow.RecencyAuc:F4} |");
        md.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"{cdnow.Customers} customers, {cdnow.ChurnRate:P1} churned.").AppendLine();
        if (cdnow.Fresh is not { } fresh) return;
        md.AppendLine(CultureInfo.InvariantCulture, $"The engine's recipe (trees, features) was chosen on the folds above, so their figure may be optimistic. On {fresh.Seeds.Count} other fold draws " +
                      $"(seeds {string.Join(", ", fresh.Seeds)}): engine {fresh.TreesMean:F4} ({fresh.TreesMin:F4}-{fresh.TreesMax:F4}), " +
                      $"logistic regression on recency/frequency/monetary/tenure {fresh.LogisticMean:F4} ({fresh.LogisticMin:F4}-{fresh.LogisticMax:F4}); " +
                      $"the engine's lead on the same folds {fresh.LeadMin:F4} to {fresh.LeadMax:F4}. These reshuffle the same customers: they show how much the figure hangs on the split, not a held-out check.").AppendLine();
    }

    private static void CtrSection(StringBuilder md, List<CtrEvaluation.Result> results)
    {
        md.AppendLine("## Click-through, Criteo and Avazu samples (train on train+dev, test on test)").AppendLine();
        md.AppendLine("| dataset | engine (blend) | trees | factorization machine | tuned LR (the blend's) | hashed LR baseline (fixed settings) | test rows | blend weights | 5-fold CV on train+dev: blend / trees / FM / tuned LR |")
            .AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var c in results)
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {c.Dataset} | **{c.BlendAuc:F4}** | {c.TreesAuc:F4} | {c.FactorizationAuc:F4} | {c.TunedLogisticAuc:F4} | {c.BaselineLogisticAuc:F4} | {c.TestRows} | {c.Blend} | {c.ValidationBlendAuc:F4} / {c.ValidationTreesAuc:F4} / {c.ValidationFactorizationAuc:F4} / {c.ValidationLogisticAuc:F4} |");
        md.AppendLine().AppendLine("LR, tree and FM settings and the blend weights chosen by 5-fold cross-validation on train+dev (the FM joins the blend only if it lifts CV AUC by 0.003); the chosen recipe refit on train+dev; test scored once. The baseline LR keeps fixed settings (below) and takes no part in the blend.");
        foreach (var c in results)
            md.AppendLine(CultureInfo.InvariantCulture,
                $"- {c.Dataset}: tuned LR `{c.LogisticSettings}`, baseline LR `{c.BaselineLogisticSettings}`, trees `{c.TreeSettings}`, FM `{c.FactorizationSettings}`; best blend with the FM in CV {c.ValidationBestWithFactorizationAuc:F4} ({c.BestWithFactorization})");
        md.AppendLine();
    }

    private static void SimulatorSection(StringBuilder md, SimulatedModels.Figures m, SimulatedRecEvaluation.Result r, SimulatedRecEvaluation.Result? validation, string world)
    {
        md.AppendLine(CultureInfo.InvariantCulture, $"## Simulator ({world})").AppendLine();
        md.AppendLine("| model | engine | baseline | ceiling |").AppendLine("|---|---|---|---|");
        md.AppendLine(CultureInfo.InvariantCulture, $"| churn AUC (label: no event in 7 days) | {m.ChurnAuc:F4} | recency alone {m.ChurnRecencyAuc:F4} | |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| churn AUC vs truth (user had truly churned) | {m.ChurnTruthAuc:F4} | | |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| click-through AUC | {m.BidAuc:F4} | campaign smoothed CTR alone {m.BidCampaignCtrAuc:F4} | true click probability {m.BidOracleAuc:F4} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| recommendations HR@10 / MRR@10 ({r.Positions} positions), learned re-ranker | {r.HitRate:F4} / {r.Mrr:F4} | blend alone {r.BlendHitRate:F4} / {r.BlendMrr:F4}; popularity {r.PopularityHitRate:F4} / {r.PopularityMrr:F4} | |");
        if (validation is { } v)
            md.AppendLine(CultureInfo.InvariantCulture, $"| recommendations HR@10 / MRR@10 on validation ({v.Positions} positions: training world, the {SimulatedRecEvaluation.TestSessions:N0} sessions after the re-ranker's) | {v.HitRate:F4} / {v.Mrr:F4} | blend alone {v.BlendHitRate:F4} / {v.BlendMrr:F4} | |");
        md.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"Predicted vs true click probability: Pearson {m.BidCorrelationWithTrueCtr:F3}.");
    }

    private static double R(double value) => Math.Round(value, 4);
}
