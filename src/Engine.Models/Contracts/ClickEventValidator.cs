namespace Engine.Models.Contracts;

/// <summary>The rules an event must meet beyond its JSON shape; each failure names the field and what is expected.</summary>
public static class ClickEventValidator
{
    public static string? Problem(ClickEvent e)
    {
        if (e.SchemaVersion != ClickEvent.CurrentSchemaVersion)
            return $"wrong schema: schema_version {e.SchemaVersion}, this engine reads {ClickEvent.CurrentSchemaVersion}";
        if (!Enum.IsDefined(e.Type))
            return $"unknown type: {(int)e.Type}";
        if (string.IsNullOrWhiteSpace(e.EventId))
            return "invalid: event_id is empty";
        if (string.IsNullOrWhiteSpace(e.UserId))
            return "invalid: user_id is empty";
        if (e.EventTime.Year < 2000)
            return $"invalid: event_time {e.EventTime:O} is before 2000";
        if (e.Price is < 0)
            return "invalid: price is negative";
        if (e.Quantity is < 0)
            return "invalid: quantity is negative";
        return e.Type switch
        {
            EventType.ProductView or EventType.AddToCart or EventType.RemoveFromCart when string.IsNullOrEmpty(e.ItemId)
                => $"invalid: {Name(e.Type)} needs item_id",
            EventType.Purchase when string.IsNullOrEmpty(e.ItemId) || e.Price is null
                => "invalid: purchase needs item_id and price",
            EventType.Search when string.IsNullOrEmpty(e.Query)
                => "invalid: search needs query",
            EventType.AdImpression or EventType.AdClick when string.IsNullOrEmpty(e.CampaignId)
                => $"invalid: {Name(e.Type)} needs campaign_id",
            EventType.BidRequest => BidRequestProblem(e.BidRequest),
            _ => null,
        };
    }

    private static string? BidRequestProblem(BidRequest? r)
    {
        if (r is null) return "invalid: bid_request needs the bid_request object";
        if (string.IsNullOrEmpty(r.Id)) return "invalid: bid_request.id is empty";
        if (r.Imp is null || r.Imp.Count == 0) return "invalid: bid_request.imp is empty";
        if (r.CandidateCampaigns is null) return "invalid: bid_request.candidate_campaigns is missing";
        if (r.Tmax <= 0) return "invalid: bid_request.tmax must be positive";
        // Campaign values, budgets and caps are in USD and the engine holds no exchange rates: a floor in another currency
        // was compared as if it were USD, and the bid labelled with that currency.
        for (var i = 0; i < r.Imp.Count; i++) // indexed: no enumerator per bid request
        {
            if (r.Imp[i].BidFloorCur != "USD") return "invalid: bid_request.imp.bidfloorcur must be USD (the engine prices in USD)";
            if (r.Imp[i].BidFloor < 0) return "invalid: bid_request.imp.bidfloor must not be negative";
        }
        return null;
    }

    private static string Name(EventType t) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(t.ToString());
}
