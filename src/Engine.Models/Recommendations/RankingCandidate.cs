namespace Engine.Models.Recommendations;

/// <summary>
/// One item the session could be shown, with what each candidate source said about it: the inputs of the learned
/// re-ranker (<see cref="CandidateFeatures"/>) and, through <see cref="Reason"/>, why it is offered.
/// Source scores are scaled to a maximum of 1 within the request; ranks are 0-based within their source
/// (<see cref="CandidateFeatures.Unranked"/> when the source did not propose the item); <see cref="SessionLength"/> counts
/// the request's clicks on items the index knows. A struct: serving fills a reused array of them, one per candidate.
/// </summary>
public readonly record struct RankingCandidate(
    int Item,
    string ItemId,
    double Blend,
    int BlendRank,
    double Knn,
    int KnnRank,
    double CoVisit,
    int CoVisitRank,
    double CoVisitLast,
    double InSession,
    int InSessionCount,
    bool IsLastClick,
    int Clicks,
    int SessionLength,
    string Reason);
