using Engine.Training.Data;
using Engine.Training.Evaluation;

namespace Engine.Training.Tests.Evaluation;

/// <summary>CDNOW rows: features as of the end of 1997-09-30, churned = no purchase from 1997-10-01 to 1998-06-30.</summary>
public sealed class CdnowLabelTests
{
    private static readonly List<Cdnow.Purchase> Log =
    [
        Buy("A", 1997, 1, 5), Buy("A", 1997, 3, 10), Buy("A", 1998, 7, 1),        // only after the window: churned
        Buy("B", 1997, 2, 1), Buy("B", 1997, 10, 1),                              // the window's first day: not churned
        Buy("C", 1997, 11, 1),                                                    // first bought after the cutoff: no row
        Buy("D", 1997, 1, 20), Buy("D", 1997, 5, 5), Buy("D", 1997, 9, 30), Buy("D", 1997, 12, 25, 80m),
        Buy("E", 1997, 3, 3),                                                     // never again: churned
        Buy("F", 1997, 1, 1), Buy("F", 1997, 2, 1), Buy("F", 1997, 6, 15), Buy("F", 1998, 6, 30), // the window's last day
    ];

    [Fact]
    public void Churned_means_no_purchase_from_1997_10_01_to_1998_06_30()
    {
        var rows = CdnowEvaluation.Build(Log);

        Assert.Equal(["A", "B", "D", "E", "F"], rows.Customers);
        Assert.Equal([true, false, false, true, false], rows.Data.Labels);
    }

    [Fact]
    public void Features_read_nothing_after_1997_09_30()
    {
        var rows = CdnowEvaluation.Build(Log);
        var before = CdnowEvaluation.Build(Log.Where(p => p.Date < new DateTimeOffset(1997, 10, 1, 0, 0, 0, TimeSpan.Zero)).ToList());

        Assert.Equal(before.BgNbd, rows.BgNbd);
        for (var i = 0; i < rows.Data.Count; i++)
        {
            Assert.Equal(before.Data.Rows[i], rows.Data.Rows[i]);
            Assert.Equal(before.Rfmt[i], rows.Rfmt[i]);
        }
        // D's purchase on 1997-09-30 is read: one day before the cutoff (the baselines' recency).
        Assert.Equal(1f, rows.Rfmt[rows.Customers.IndexOf("D")][0]);
    }

    private static Cdnow.Purchase Buy(string customer, int year, int month, int day, decimal dollars = 15m) =>
        new(customer, new DateTimeOffset(year, month, day, 0, 0, 0, TimeSpan.Zero), 1, dollars);
}
