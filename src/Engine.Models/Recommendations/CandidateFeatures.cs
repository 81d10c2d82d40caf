namespace Engine.Models.Recommendations;

/// <summary>
/// The re-ranker's input vector for one candidate, in model order (model.json <c>features</c> lists the same names).
/// Everything comes from the request itself and the session index, so training rows and serving rows are built by
/// this one function.
/// </summary>
public static class CandidateFeatures
{
    /// <summary>Rank given to a candidate its source did not propose (beyond any depth the ranker sees).</summary>
    public const int Unranked = 1000;

    public static readonly IReadOnlyList<string> Names =
    [
        "rec.blend", "rec.blend_rank",
        "rec.knn", "rec.knn_rank",
        "rec.covisit", "rec.covisit_rank", "rec.covisit_last",
        "rec.in_session", "rec.in_session_count", "rec.is_last_click",
        "rec.log_clicks", "rec.session_length", "rec.candidates",
    ];

    public static int Width => Names.Count;

    /// <summary>Writes one candidate's features into <paramref name="row"/> (length <see cref="Width"/>).</summary>
    public static void Fill(in RankingCandidate c, int candidates, Span<float> row)
    {
        row[0] = (float)c.Blend;
        row[1] = c.BlendRank;
        row[2] = (float)c.Knn;
        row[3] = c.KnnRank;
        row[4] = (float)c.CoVisit;
        row[5] = c.CoVisitRank;
        row[6] = (float)c.CoVisitLast;
        row[7] = (float)c.InSession;
        row[8] = c.InSessionCount;
        row[9] = c.IsLastClick ? 1 : 0;
        row[10] = (float)Math.Log(1 + c.Clicks);
        row[11] = c.SessionLength;
        row[12] = candidates;
    }
}
