using Engine.Models.Contracts;

namespace Engine.Models.Simulation;

/// <summary>
/// Writes one session, in time order: a landing page view, maybe a search, product views that wander through the user's
/// preferred categories (often to a "similar" neighbouring item), cart adds and removes, a purchase funnel at the end,
/// and on page views bid requests from the exchange that may become an impression, a click and a conversion.
/// Mutates only the campaigns' spend (budgets run out).
/// </summary>
internal sealed class SessionScript(SimulatedWorld world, Random random, decimal[] spend)
{
    public List<ClickEvent> Write(SimulatedUser user, int sessionNumber, DateTimeOffset start)
    {
        var session = new Session(user, $"s-{user.Id[2..]}-{sessionNumber}", start, random, world);
        session.Add(EventType.PageView);
        MaybeBid(session);
        if (random.NextDouble() < 0.3) session.Add(EventType.Search, query: world.Categories[PickCategory(user)]);

        var views = 1 + (int)(-Math.Log(1 - random.NextDouble()) * 4 * Math.Sqrt(user.Engagement));
        var item = -1;
        var cart = new List<int>();
        for (var v = 0; v < views; v++)
        {
            item = NextItem(user, item);
            session.Add(EventType.ProductView, item);
            if (random.NextDouble() < 0.3) MaybeBid(session);
            if (random.NextDouble() < 0.12) { cart.Add(item); session.Add(EventType.AddToCart, item); }
            if (cart.Count > 0 && random.NextDouble() < 0.04) { session.Add(EventType.RemoveFromCart, cart[^1]); cart.RemoveAt(cart.Count - 1); }
        }
        if (cart.Count > 0 && random.NextDouble() < Math.Min(0.8, 0.35 * user.Engagement))
            foreach (var bought in cart) session.Add(EventType.Purchase, bought, quantity: 1);
        return session.Events;
    }

    private int PickCategory(SimulatedUser user) =>
        random.NextDouble() < 0.8
            ? int.Parse(user.PreferredCategories[random.Next(user.PreferredCategories.Count)].AsSpan(4), System.Globalization.CultureInfo.InvariantCulture)
            : random.Next(world.Categories.Count);

    /// <summary>Half the time a neighbour of the last item in its category (similar items), else a popular item of a liked category.</summary>
    private int NextItem(SimulatedUser user, int previous)
    {
        if (previous >= 0 && random.NextDouble() < 0.5)
        {
            var items = world.ItemsByCategory[world.ItemCategory[previous]];
            var at = Array.IndexOf(items, previous) + random.Next(-3, 4);
            return items[Math.Clamp(at, 0, items.Length - 1)];
        }
        var pool = world.ItemsByCategory[PickCategory(user)];
        // Zipf-like: rank r is drawn with probability ~ 1/r.
        var rank = (int)Math.Floor(Math.Exp(random.NextDouble() * Math.Log(pool.Length + 1))) - 1;
        return pool[Math.Clamp(rank, 0, pool.Length - 1)];
    }

    private void MaybeBid(Session session)
    {
        if (random.NextDouble() >= world.Options.BidRequestRate) return;
        // The request's own time decides which campaigns are in flight.
        session.Step();
        var at = session.Now;
        var eligible = Enumerable.Range(0, world.Campaigns.Count)
            .Where(c => world.Campaigns[c].InFlight(at) && spend[c] < world.Campaigns[c].BudgetUsd)
            .OrderBy(_ => random.Next()).Take(5).ToArray();
        var request = new BidRequest
        {
            Id = $"br-{session.NextEventId}",
            Imp = [new Impression { Id = "1", BidFloor = Math.Round((decimal)(0.2 + 1.8 * random.NextDouble()), 2), TagId = "slot-top" }],
            CandidateCampaigns = eligible.Select(c => world.Campaigns[c].Id).ToArray(),
        };
        session.Add(EventType.BidRequest, bidRequest: request, step: false);
        if (eligible.Length == 0 || random.NextDouble() >= world.Options.WinRate) return;

        var winner = eligible[random.Next(eligible.Length)];
        var campaign = world.Campaigns[winner];
        spend[winner] += campaign.BidCpmUsd / 1000m;
        session.Add(EventType.AdImpression, campaign: campaign.Id, tiny: true, price: campaign.BidCpmUsd / 1000m);
        if (random.NextDouble() >= campaign.ClickProbability(session.User, session.Now)) return;
        session.Add(EventType.AdClick, campaign: campaign.Id);
        if (random.NextDouble() >= campaign.Cvr) return;
        var items = world.ItemsByCategory[int.Parse(campaign.Category.AsSpan(4), System.Globalization.CultureInfo.InvariantCulture)];
        session.Add(EventType.Purchase, items[random.Next(Math.Min(10, items.Length))], quantity: 1, campaign: campaign.Id);
    }

    private sealed class Session(SimulatedUser user, string id, DateTimeOffset start, Random random, SimulatedWorld world)
    {
        public SimulatedUser User { get; } = user;
        public List<ClickEvent> Events { get; } = [];
        public DateTimeOffset Now { get; private set; } = start;
        public string NextEventId => $"{id}-{Events.Count}";

        /// <summary>Clicks are ~30 s apart; an impression follows its bid request within a second.</summary>
        public void Step(bool tiny = false) =>
            Now += TimeSpan.FromSeconds(tiny ? 0.2 + 0.8 * random.NextDouble() : 2 - Math.Log(1 - random.NextDouble()) * 30);

        public void Add(EventType type, int item = -1, int? quantity = null, string? campaign = null, string? query = null,
            BidRequest? bidRequest = null, bool tiny = false, decimal? price = null, bool step = true)
        {
            if (step && Events.Count > 0) Step(tiny);
            Events.Add(new ClickEvent
            {
                EventId = NextEventId,
                EventTime = Now,
                UserId = User.Id,
                SessionId = id,
                Type = type,
                ItemId = item >= 0 ? SimulatedWorld.ItemId(item) : null,
                Category = item >= 0 ? world.Categories[world.ItemCategory[item]] : null,
                Price = price ?? (item >= 0 ? world.ItemPrice[item] : null),
                Quantity = quantity,
                CampaignId = campaign,
                Query = query,
                BidRequest = bidRequest,
                Device = User.Device,
                Region = User.Region,
            });
        }
    }
}
