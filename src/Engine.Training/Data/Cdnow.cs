using System.Globalization;
using Engine.Models.Contracts;

namespace Engine.Training.Data;

/// <summary>CDNOW master file: <c>customer_id date(YYYYMMDD) number_of_cds dollar_value</c>, whitespace-separated, header line.</summary>
public static class Cdnow
{
    public sealed record Purchase(string Customer, DateTimeOffset Date, int Cds, decimal Dollars);

    public static List<Purchase> Read(string path) =>
        File.ReadLines(path).Skip(1)
            .Select(l => l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            .Where(p => p.Length == 4)
            .Select(p => new Purchase(p[0],
                new DateTimeOffset(DateTime.ParseExact(p[1], "yyyyMMdd", CultureInfo.InvariantCulture), TimeSpan.Zero),
                int.Parse(p[2], CultureInfo.InvariantCulture), decimal.Parse(p[3], CultureInfo.InvariantCulture)))
            .ToList();

    /// <summary>A purchase replayed as the engine's purchase event (at noon, one order per transaction line).</summary>
    public static ClickEvent ToEvent(Purchase p, int line) => new()
    {
        EventId = $"cdnow-{line}",
        EventTime = p.Date.AddHours(12),
        UserId = p.Customer,
        SessionId = $"{p.Customer}-{line}",
        Type = EventType.Purchase,
        Price = p.Dollars,
        Quantity = 1,
    };
}
