namespace Engine.Models.Contracts;

/// <summary>The rules an event must meet beyond its JSON shape; each failure names the field and what is expected.</summary>
public static class ClickEventValidator
{
    /// <summary>The largest price (and CPM floor) accepted, in USD: far above any real one, and far below what would overflow a decimal once multiplied.</summary>
    public const decimal MaxPrice = 1_000_000m;
    public const int MaxQuantity = 1_000_000;

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
        if (e.Price is < 0 or > MaxPrice)
            return $"invalid: price must be between 0 and {MaxPrice:0} USD";
        if (e.Quantity is < 0 or > MaxQuantity)
            return $"invalid: quantity must be between 0 and {MaxQuantity}";
        if (e.CampaignId is { } campaign && string.IsNullOrWhiteSpace(campaign))
            return "invalid: campaign_id is empty (omit it when the event concerns no campaign)";
        if (ControlCharacterIn(e) is { } field)
            return $"invalid: {field} contains a control character";
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
        for (var i = 0; i < r.CandidateCampaigns.Count; i++)
            if (string.IsNullOrWhiteSpace(r.CandidateCampaigns[i])) return $"invalid: bid_request.candidate_campaigns[{i}] is empty";
        // Campaign values, budgets and caps are in USD and the engine holds no exchange rates: a floor in another currency
        // was compared as if it were USD, and the bid labelled with that currency.
        for (var i = 0; i < r.Imp.Count; i++) // indexed: no enumerator per bid request
        {
            if (r.Imp[i] is null) return $"invalid: bid_request.imp[{i}] is null";
            if (string.IsNullOrEmpty(r.Imp[i].Id)) return $"invalid: bid_request.imp[{i}].id is empty (a bid names the impression it is for)";
            if (r.Imp[i].BidFloorCur != "USD") return "invalid: bid_request.imp.bidfloorcur must be USD (the engine prices in USD)";
            if (r.Imp[i].BidFloor is < 0 or > MaxPrice) return $"invalid: bid_request.imp.bidfloor must be between 0 and {MaxPrice:0} (CPM, USD)";
        }
        return null;
    }

    /// <summary>
    /// The ids the engine keeps joined by tabs in its stored state (a session with what was bought in it, segments) and
    /// shows in Redis keys and logs: a tab or newline in one would split into two values when read back.
    /// </summary>
    private static string? ControlCharacterIn(ClickEvent e) =>
        HasControl(e.UserId) ? "user_id" : HasControl(e.EventId) ? "event_id" : HasControl(e.SessionId) ? "session_id"
        : HasControl(e.ItemId) ? "item_id" : HasControl(e.Category) ? "category" : HasControl(e.CampaignId) ? "campaign_id"
        : HasControl(e.Device) ? "device" : HasControl(e.Region) ? "region" : null;

    private static bool HasControl(string? value) => value is not null && value.AsSpan().IndexOfAnyInRange('\0', '\x1f') >= 0;

    private static string Name(EventType t) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(t.ToString());
}
