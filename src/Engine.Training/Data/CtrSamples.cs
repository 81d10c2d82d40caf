using System.Globalization;

namespace Engine.Training.Data;

/// <summary>
/// The Criteo and Avazu samples as rows of numeric and categorical fields. Criteo: tab-separated
/// <c>label, I1..I13, C1..C26</c>, empty = missing. Avazu: comma-separated <c>id, click, hour, C1, banner_pos, ...</c>;
/// only train.csv has a header.
/// </summary>
public static class CtrSamples
{
    public sealed record Row(bool Label, float[] Numeric, string[] Categorical);

    public sealed record Split(List<Row> Train, List<Row> Test, string[] NumericNames, string[] CategoricalNames);

    public static Split Criteo(string folder)
    {
        List<Row> Read(string file) => File.ReadLines(Path.Combine(folder, file)).Select(line =>
        {
            var f = line.Split('\t');
            var numeric = Enumerable.Range(1, 13).Select(i => f[i].Length == 0 ? float.NaN : float.Parse(f[i], CultureInfo.InvariantCulture)).ToArray();
            return new Row(f[0] == "1", numeric, f[14..40]);
        }).ToList();
        return new Split([.. Read("train.tsv"), .. Read("dev.tsv")], Read("test.tsv"),
            Enumerable.Range(1, 13).Select(i => $"I{i}").ToArray(), Enumerable.Range(1, 26).Select(i => $"C{i}").ToArray());
    }

    public static Split Avazu(string folder)
    {
        var header = File.ReadLines(Path.Combine(folder, "train.csv")).First().Split(',');
        // id is unique per row and hour is constant in these samples: neither can help.
        var categorical = Enumerable.Range(3, header.Length - 3).ToArray();
        List<Row> Read(string file, bool hasHeader) => File.ReadLines(Path.Combine(folder, file)).Skip(hasHeader ? 1 : 0).Select(line =>
        {
            var f = line.Split(',');
            return new Row(f[1] == "1", [], categorical.Select(i => f[i]).ToArray());
        }).ToList();
        return new Split([.. Read("train.csv", true), .. Read("dev.csv", false)], Read("test.csv", false),
            [], categorical.Select(i => header[i]).ToArray());
    }
}
