using System.Globalization;

namespace Engine.Training.Data;

/// <summary>YooChoose (RecSys 2015) clicks as prepared by session-rec: <c>SessionId\tItemId\tTime</c>, header line.</summary>
public static class YooChoose
{
    public sealed record Session(string Id, List<(double Time, string Item)> Clicks)
    {
        public double Start => Clicks[0].Time;
        public double End => Clicks[^1].Time;
        public IReadOnlyList<string> Items => Clicks.Select(c => c.Item).ToList();
    }

    /// <summary>Sessions in order of first appearance in the file (the order the published baselines used), clicks by time.</summary>
    public static List<Session> Read(string path)
    {
        var sessions = new Dictionary<string, Session>(StringComparer.Ordinal);
        var order = new List<Session>();
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var parts = line.Split('\t');
            if (parts.Length < 3) continue;
            if (!sessions.TryGetValue(parts[0], out var s)) { sessions[parts[0]] = s = new Session(parts[0], []); order.Add(s); }
            s.Clicks.Add((double.Parse(parts[2], CultureInfo.InvariantCulture), parts[1]));
        }
        foreach (var s in order) s.Clicks.Sort((a, b) => a.Time.CompareTo(b.Time));
        return order;
    }
}
