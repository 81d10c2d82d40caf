using System.Buffers;
using Engine.Models.Contracts;
using Engine.Models.Experiments;
using Engine.Models.Features;
using Engine.Models.Recommendations;
using Engine.Models.Scoring;

namespace Engine.Models.Decisions;

/// <summary>
/// The decisions about one user, from the user's live features and the node's models: recommendations after
/// a click, the answer to a bid request, and a churn alert when the probability crosses the threshold. Pure
/// apart from model scoring; every decision id derives from its cause, so a replay repeats the same ids.
/// </summary>
/// <remarks>
/// Lists are computed for each user, not shared between users with the same recent items: a shared cache
/// (<see cref="RecommendationCache"/>, 23% hits) saved no CPU end to end and doubled the 10,000 events/s p99, since
/// every cached list lives just long enough to be copied by the GC (docs/performance.md, round 7).
/// </remarks>
public sealed class UserDecider(DecisionModels models, DecisionSettings settings, ICampaignBoard campaigns)
{
    private readonly BidFeatures _bidFeatures = new(models.Bid.Current.Metadata.Features);
    // The schema and the feature list it was compiled from: compared by reference to the current model's, as the schema
    // keeps a copy of the names (comparing the schema's own would recompile it on every check). One reference: actors on
    // several threads read it while a model swap replaces it.
    private ChurnSchema _churnSchema = new(models.Churn.Current.Metadata.Features, UserFeatures.Schema(models.Churn.Current.Metadata.Features));
    /// <summary>
    /// Top items for the user's session, or null when the list would repeat the last one sent. When the session's items
    /// and the bought set are what they were at the last call (a search, an add-to-cart of the item just viewed), the
    /// list would be the same, so the recommender is not asked at all.
    /// </summary>
    /// <param name="replay">The cause is replayed (its list is made again, same id): a shadow challenger's score, logged by
    /// the first run, is not logged again (each crash or rebalance added a row per replayed event to the experiment's log).</param>
    public Recommendation? Recommend(UserFeatureState user, ClickEvent cause, IReadOnlySet<string> bought, ref RecommendationMemo memo, bool replay = false)
    {
        var session = OldestFirst(user.SessionItems); // the recommender wants oldest first
        if (cause.Type == EventType.Search && session.Count == 0) return null;
        // A purchase's own list never offers what it bought, whatever session the state counts it in (a replay, or a purchase
        // of an earlier session stamped behind, is not in the current session's set; the non-personal list excluded it already).
        if (cause is { Type: EventType.Purchase, ItemId: { } purchased } && !bought.Contains(purchased))
            bought = new HashSet<string>(bought, StringComparer.Ordinal) { purchased };
        var input = InputFingerprint(session, bought);
        if (memo.Asked && input == memo.Input) return null;
        memo = memo with { Asked = true, Input = input };
        var (items, variant, version) = ListFor(user.Id, cause.EventId, session, bought, replay);
        var fingerprint = Fingerprint(items);
        if (items.Count == 0 || fingerprint == memo.Sent) return null;
        memo = memo with { Sent = fingerprint };
        return new Recommendation
        {
            DecisionId = DecisionIds.Derive("recommendation", cause.EventId),
            CausedBy = cause.EventId,
            DecidedAt = DateTimeOffset.UtcNow,
            ModelVersion = version,
            Reasons =
            [
                SessionItems(session.Count),
                new Reason(TopSource(items[0].Reason), items[0].Score, items[0].Score),
            ],
            UserId = user.Id,
            SessionId = cause.SessionId,
            Items = items,
            Variant = variant,
        };
    }

    /// <summary>
    /// The list this user is served, the experiment arm that served it (null outside an experiment) and the version of the
    /// recommender that made it. A challenger in split mode serves its users; in shadow mode the champion serves everyone
    /// and the challenger is only scored.
    /// </summary>
    private (IReadOnlyList<RecommendedItem> Items, string? Variant, string Version) ListFor(string userId, string causedBy, IReadOnlyList<string> session,
        IReadOnlySet<string> bought, bool replay)
    {
        var count = settings.RecommendationCount;
        if (settings.RecommendationExperiment is not { } experiment) return (Champion(), null, models.RecommenderVersion);
        var (variant, isChallenger) = experiment.Arm(userId);
        // The challenger (the blend without the learned ranker) stamps its own version: the ranker's did not make its lists.
        if (experiment.Definition.Mode == ExperimentMode.Split && isChallenger)
            return (experiment.Challenger.Recommend(session, bought, count), variant.Name, _challengerVersion);
        var served = Champion();
        if (experiment.Definition.Mode == ExperimentMode.Shadow && isChallenger && !replay)
        {
            var (shadow, overlap) = experiment.ScoreInShadow(session, bought, count, served);
            settings.Shadow?.Record(new ShadowScore(experiment.Definition.Name, "recommendation", userId, causedBy, _challengerVersion,
                shadow.Count > 0 ? shadow[0].Score : null, shadow.Count > 0, $"overlap {overlap:0.00}", DateTimeOffset.UtcNow));
        }
        return (served, experiment.Definition.Mode == ExperimentMode.Shadow ? experiment.Definition.Variants[0].Name : variant.Name, models.RecommenderVersion);

        IReadOnlyList<RecommendedItem> Champion() => models.Recommender.Recommend(session, bought, count);
    }

    private readonly string _challengerVersion = models.RecommenderVersion + "+blend"; // the blend without the learned ranker

    /// <summary>
    /// Scores churn as of <paramref name="asOf"/> and moves the user's episode; returns an alert only on the
    /// crossing that opens an episode. The alert id is tied to the user's last event: one silence, one id.
    /// </summary>
    public ChurnAlert? CheckChurn(UserFeatureState user, ref ChurnEpisode episode, DateTimeOffset asOf, string causedBy)
    {
        // Each attempt starts from the episode as given: it moves only once a decision is made.
        (var alert, episode) = AcrossReloads((Decider: this, models.Churn, user, Episode: episode, asOf, causedBy), static s =>
        {
            var moved = s.Episode;
            var checkedAlert = s.Decider.CheckChurn(s.Churn.Current, s.user, ref moved, s.asOf, s.causedBy, repeat: false);
            return (checkedAlert, moved);
        });
        return alert;
    }

    /// <summary>
    /// The alert of an episode opened on <paramref name="causedBy"/>, made again for that event's replay, whatever the score
    /// reads now (a later event, or a reloaded model or threshold, may put it below the threshold): the first run's alert may
    /// have been lost between its flush, which kept the episode open, and its decisions. Gated on the threshold as a new check
    /// is, it was lost for good, and the open episode kept every later sweep from alerting. It carries the score as of now.
    /// </summary>
    public ChurnAlert RepeatChurnAlert(UserFeatureState user, DateTimeOffset asOf, string causedBy) =>
        AcrossReloads((Decider: this, models.Churn, user, asOf, causedBy), static s =>
        {
            var episode = ChurnEpisode.Armed;
            return s.Decider.CheckChurn(s.Churn.Current, s.user, ref episode, s.asOf, s.causedBy, repeat: true)!;
        });

    /// <summary>
    /// A decision made again when a hot reload retires its model version between its score and its explanation (the new
    /// version decides); a third retirement in a row is not a race but a registry closing, and is thrown. Static lambdas
    /// over a value-tuple state: nothing is allocated per call on the hot path.
    /// </summary>
    private static T AcrossReloads<TState, T>(TState state, Func<TState, T> decide)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return decide(state);
            }
            catch (ModelRetiredException) when (attempt < MaxAttemptsAcrossReloads)
            {
            }
        }
    }

    /// <summary>The id a churn alert for <paramref name="user"/> gets now: one per silence, tied to the user's last event.</summary>
    public static string ChurnAlertId(UserFeatureState user) => ChurnAlertId(user.Id, user.LastEventMs);

    /// <summary>The id of a churn alert raised when <paramref name="lastEventMs"/> was the user's last event.</summary>
    public static string ChurnAlertId(string userId, long lastEventMs) =>
        DecisionIds.Derive("churn", userId, lastEventMs.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Decisions retried when a hot reload retires their model mid-way; a third reload in a row is not a race but a registry closing.</summary>
    private const int MaxAttemptsAcrossReloads = 3;

    private ChurnAlert? CheckChurn(Scorer scorer, UserFeatureState user, ref ChurnEpisode episode, DateTimeOffset asOf, string causedBy, bool repeat)
    {
        var names = scorer.Metadata.Features;
        var compiled = _churnSchema;
        if (!ReferenceEquals(compiled.Source, names)) _churnSchema = compiled = new ChurnSchema(names, UserFeatures.Schema(names));
        var schema = compiled.Schema;
        Span<float> features = stackalloc float[schema.Length];
        schema.Read(user, user.ReadTimeMs(asOf), features);
        var score = scorer.Score(features);
        var before = episode;
        var (policy, variant, shadow) = ChurnArm(user.Id, before, score, causedBy, ChampionPolicy(scorer.Metadata));
        var after = policy.Next(before, score.Probability);
        if (repeat) (after, shadow) = (ChurnEpisode.Alerted, null); // its shadow score was recorded by the first run
        if (!ChurnAlertPolicy.ShouldAlert(before, after))
        {
            RecordShadow(shadow);
            episode = after;
            return null;
        }
        var alert = new ChurnAlert
        {
            DecisionId = ChurnAlertId(user),
            CausedBy = causedBy,
            DecidedAt = DateTimeOffset.UtcNow,
            ModelVersion = score.ModelVersion,
            Reasons = Explainer.TopFactors(scorer, features),
            UserId = user.Id,
            Probability = Math.Round(score.Probability, 4),
            Threshold = policy.Threshold,
            Variant = variant,
            LastEventAt = user.LastEventMs == Engine.Models.Features.State.EntityFeatureState.NoEvent ? null : DateTimeOffset.FromUnixTimeMilliseconds(user.LastEventMs),
        };
        episode = after; // only once the alert exists: a retry after a reload must still find the episode armed
        RecordShadow(shadow);
        return alert;
    }

    /// <summary>Prices the request for each candidate campaign the board knows, and answers with the best bid or a no-bid.</summary>
    /// <param name="receivedAt">
    /// When the request reached Kafka: a request stamped ahead of it is held to its flights at its arrival, as campaign events
    /// count at theirs (a device or exchange clock running ahead bid up to an hour before a flight started; before 2026-12-06
    /// flights were checked at <c>event_time</c> alone). Null, or later than <c>event_time</c> (simulated and replayed
    /// traffic, whose event times are not the wall clock's): <c>event_time</c>.
    /// </param>
    /// <param name="replay">The request is replayed (priced again, same id): a shadow challenger's score, logged by the first
    /// run, is not logged again, as for lists.</param>
    public BidDecision Bid(UserFeatureState user, ClickEvent cause, DateTimeOffset now, DateTimeOffset? receivedAt = null, bool replay = false) =>
        AcrossReloads((Decider: this, models.Bid, user, cause, now, flightAt: receivedAt < cause.EventTime ? receivedAt.Value : cause.EventTime, replay),
            static s => s.Decider.Bid(s.Bid.Current, s.user, s.cause, s.now, s.flightAt, s.replay));

    private BidDecision Bid(Scorer scorer, UserFeatureState user, ClickEvent cause, DateTimeOffset now, DateTimeOffset flightAt, bool replay)
    {
        if (!campaigns.IsCaughtUp)
            return Decide(cause, now, user.Id, new PricedBid(null, 0m, NoBidReason.TechnicalError), scorer.Version, null, [CampaignsLoading]);
        var request = cause.BidRequest!;
        var width = _bidFeatures.Width;
        var known = new List<CampaignSnapshot>(request.CandidateCampaigns.Count);
        for (var c = 0; c < request.CandidateCampaigns.Count; c++)
            if (campaigns.TryGet(request.CandidateCampaigns[c], out var campaign)) known.Add(campaign);
        // Every candidate's row in one ONNX call: a call's fixed cost is most of a single small row's (docs/models.md).
        var rows = ArrayPool<float>.Shared.Rent(Math.Max(1, known.Count * width));
        var ctrs = ArrayPool<float>.Shared.Rent(Math.Max(1, known.Count));
        try
        {
            var readAt = user.ReadTimeMs(cause.EventTime);
            for (var c = 0; c < known.Count; c++) _bidFeatures.Read(user, known[c], readAt, rows.AsSpan(c * width, width));
            if (known.Count > 0) ScoringInstruments.ScoreBatchTimed(scorer, rows, known.Count, ctrs);
            var candidates = new List<BidCandidate>(known.Count);
            var best = -1;
            for (var c = 0; c < known.Count; c++)
            {
                candidates.Add(new BidCandidate(known[c].Spec, ctrs[c], known[c].SmoothedCvr, known[c].Multiplier, known[c].BudgetLeft));
                if (best < 0 || ctrs[c] > ctrs[best]) best = c; // the first of equals
            }
            var (priced, version, variant, shadow) = PriceForArm(user.Id, cause, candidates, scorer.Version, flightAt);
            // Explaining costs a batch of width + 1 rows: once, for the campaign bid on (the highest CPM, not always the highest
            // click-through: before, a bid could carry another campaign's reasons); with no bid, for the likeliest click.
            var explained = priced.Winner is { } winner ? IndexOf(known, winner.Spec.CampaignId) : best;
            IReadOnlyList<Reason> reasons = explained < 0 ? [] : Explainer.TopFactors(scorer, rows.AsSpan(explained * width, width));
            if (!replay) RecordShadow(shadow);
            return Decide(cause, now, user.Id, priced, version, variant, reasons);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rows);
            ArrayPool<float>.Shared.Return(ctrs);
        }
    }

    private static readonly Reason CampaignsLoading = new("campaigns_loading", 1, 0);

    // A loop, not FindIndex: a lambda capturing the winner would allocate on every bid.
    private static int IndexOf(List<CampaignSnapshot> known, string campaignId)
    {
        for (var i = 0; i < known.Count; i++)
            if (known[i].Spec.CampaignId == campaignId) return i;
        return -1;
    }

    /// <summary>The answer to the request, from its priced candidates: the arm's best bid, or a no-bid with its reason.</summary>
    private static BidDecision Decide(ClickEvent cause, DateTimeOffset now, string userId, PricedBid priced, string version, string? variant,
        IReadOnlyList<Reason> reasons)
    {
        var request = cause.BidRequest!;
        var imp = request.Imp[0];
        var winner = priced.Winner;
        return new BidDecision
        {
            DecisionId = DecisionIds.Derive("bid", request.Id),
            CausedBy = cause.EventId,
            DecidedAt = now,
            ModelVersion = version,
            Variant = variant,
            Reasons = winner is { } w
                ? [new Reason("predicted_ctr", Math.Round(w.PredictedCtr, 5), 0), new Reason("pacing_multiplier", Math.Round(w.PacingMultiplier, 3), 0), .. reasons]
                : reasons,
            RequestId = request.Id,
            UserId = userId,
            Bid = winner is not null,
            ImpId = winner is null ? null : imp.Id,
            CampaignId = winner?.Spec.CampaignId,
            Price = winner is null ? null : priced.Cpm,
            Currency = imp.BidFloorCur,
            PredictedCtr = winner is { } pw ? Math.Round(pw.PredictedCtr, 5) : null,
            PredictedCvr = winner is { } cw ? Math.Round(cw.PredictedCvr, 5) : null,
            Nbr = priced.NoBid,
        };
    }

    /// <summary>
    /// The pricing this user's arm answers with. Outside an experiment and for the champion's users: the champion's. A split
    /// challenger answers for its users; a shadow challenger prices too, is logged, and the champion answers.
    /// </summary>
    /// <remarks>A shadow challenger's score is returned, not logged: the decision logs it once built, so an attempt that a
    /// reload retires (and that is decided again) logs nothing.</remarks>
    private (PricedBid Priced, string ModelVersion, string? Variant, ShadowScore? Shadow) PriceForArm(string userId, ClickEvent cause,
        List<BidCandidate> candidates, string version, DateTimeOffset flightAt)
    {
        var floor = cause.BidRequest!.Imp[0].BidFloor;
        if (settings.BidExperiment is not { } experiment) return (BidPricer.Best(candidates, floor, flightAt), version, null, null);
        var definition = experiment.Definition;
        var arm = definition.Arm(userId);
        if (!arm.IsChallenger) return (BidPricer.Best(candidates, floor, flightAt), version, definition.DecidingVariant(arm), null);
        var challenger = BidPricer.Best(experiment.Recalibrate(candidates), floor, flightAt);
        if (definition.Mode == ExperimentMode.Split) return (challenger, experiment.ChallengerVersion(version), arm.Variant.Name, null);
        var shadow = new ShadowScore(definition.Name, "bid", userId, cause.EventId, experiment.ChallengerVersion(version),
            challenger.Winner?.PredictedCtr, challenger.Winner is not null,
            challenger.Winner is { } w ? $"{w.Spec.CampaignId} at {challenger.Cpm} CPM" : $"no bid: {challenger.NoBid}", DateTimeOffset.UtcNow);
        return (BidPricer.Best(candidates, floor, flightAt), version, definition.DecidingVariant(arm), shadow);
    }

    /// <summary>
    /// The alert policy this user's episode follows, and the variant its alert names. A shadow challenger is asked, on the
    /// champion's episode, whether it would alert now; when it would, that alert is logged and never emitted.
    /// </summary>
    /// <remarks>As for <see cref="PriceForArm"/>, a shadow alert is returned for the decision to log once built.</remarks>
    private (ChurnAlertPolicy Policy, string? Variant, ShadowScore? Shadow) ChurnArm(string userId, ChurnEpisode before, ScoreResult score, string causedBy,
        ChurnAlertPolicy champion)
    {
        if (settings.ChurnExperiment is not { } experiment) return (champion, null, null);
        var definition = experiment.Definition;
        var arm = definition.Arm(userId);
        if (!arm.IsChallenger) return (champion, definition.DecidingVariant(arm), null);
        if (definition.Mode == ExperimentMode.Split) return (experiment.Challenger, arm.Variant.Name, null);
        var shadow = ChurnAlertPolicy.ShouldAlert(before, experiment.Challenger.Next(before, score.Probability))
            ? new ShadowScore(definition.Name, "churn_alert", userId, causedBy, score.ModelVersion, Math.Round(score.Probability, 4), true,
                $"threshold {experiment.Challenger.Threshold} (champion {champion.Threshold})", DateTimeOffset.UtcNow)
            : null;
        return (champion, definition.DecidingVariant(arm), shadow);
    }

    private void RecordShadow(ShadowScore? shadow)
    {
        if (shadow is not null) settings.Shadow?.Record(shadow);
    }

    /// <summary>The champion's policy for the serving churn model, built once per model version (a decision reads it per check).</summary>
    private ChurnAlertPolicy ChampionPolicy(ModelMetadata model)
    {
        var cached = _championPolicy;
        if (ReferenceEquals(cached?.Model, model)) return cached.Policy;
        var policy = settings.ChurnPolicy(model);
        _championPolicy = new PolicyOfModel(model, policy);
        return policy;
    }

    // Replaced whole (a reference to an immutable pair): several threads read it while a model swap replaces it.
    private PolicyOfModel? _championPolicy;

    private sealed record PolicyOfModel(ModelMetadata Model, ChurnAlertPolicy Policy);

    private static List<string> OldestFirst(IReadOnlyList<string> latestFirst)
    {
        var session = new List<string>(latestFirst.Count);
        for (var i = latestFirst.Count - 1; i >= 0; i--) session.Add(latestFirst[i]);
        return session;
    }

    // Immutable records: the few possible session sizes each share one.
    private static readonly Reason[] SessionSizes =
        [.. Enumerable.Range(0, UserFeatureState.SessionClicksKept + 1).Select(n => new Reason("session_items", n, 0))];

    private static Reason SessionItems(int count) => count < SessionSizes.Length ? SessionSizes[count] : new Reason("session_items", count, 0);

    // The few candidate sources, each named once rather than concatenated per recommendation.
    private static readonly Engine.Models.Caching.LossyCache<string, string> TopSources = new(64);

    private static string TopSource(string reason) => TopSources.GetOrAdd(reason, static r => "top_source:" + r);

    private static int InputFingerprint(List<string> session, IReadOnlySet<string> bought)
    {
        var hash = new HashCode();
        foreach (var item in session) hash.Add(item, StringComparer.Ordinal);
        // The bought set's contents, in any order: a new session (or its bound) replaces it by another of the same size.
        var boughtHash = 0;
        if (bought is HashSet<string> set) // the actor's: enumerated without boxing its enumerator
            foreach (var item in set) boughtHash += StringComparer.Ordinal.GetHashCode(item);
        else
            foreach (var item in bought) boughtHash += StringComparer.Ordinal.GetHashCode(item);
        hash.Add(bought.Count);
        hash.Add(boughtHash);
        return hash.ToHashCode();
    }

    private static int Fingerprint(IReadOnlyList<RecommendedItem> items)
    {
        var hash = new HashCode();
        foreach (var item in items) hash.Add(item.ItemId, StringComparer.Ordinal);
        return hash.ToHashCode();
    }
}

/// <summary>The churn model's feature schema and the model's feature list it was compiled from.</summary>
internal sealed record ChurnSchema(IReadOnlyList<string> Source, FeatureSchema<UserFeatureState> Schema);

/// <summary>What one user was last recommended: the fingerprint of the inputs last asked about and of the list last sent.</summary>
public readonly record struct RecommendationMemo(bool Asked, int Input, int Sent);
