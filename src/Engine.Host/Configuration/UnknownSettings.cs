using System.Collections;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Engine.Host.Configuration;

/// <summary>
/// Names the keys of a section its options class has no setting for. The configuration binder skips them without a word,
/// so a misspelt <c>Redis__AcknowledgingReplica=1</c> ran with no replica acknowledging the flushes, and
/// <c>Cluster__Seed__0</c> with no seeds (review, 2026-12-08). Keys starting with <c>//</c> are appsettings.json's comments;
/// dictionaries (<c>Kafka:Client</c>) and lists take any key.
/// </summary>
public static class UnknownSettings
{
    public static IEnumerable<string> In(IConfigurationSection section, Type options)
    {
        foreach (var child in section.GetChildren())
        {
            if (child.Key.StartsWith("//", StringComparison.Ordinal)) continue;
            var property = Settable(options).FirstOrDefault(p => p.Name.Equals(child.Key, StringComparison.OrdinalIgnoreCase));
            if (property is null)
            {
                yield return $"{child.Path} is not a setting{NearestOf(options, child.Key, section.Path)}: it would be ignored.";
                continue;
            }
            if (HasSettings(property.PropertyType))
                foreach (var problem in In(child, property.PropertyType))
                    yield return problem;
        }
    }

    private static IEnumerable<PropertyInfo> Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true });

    /// <summary>A class of settings of its own (a section to check in turn), not a value, a list or a dictionary.</summary>
    private static bool HasSettings(Type type) =>
        type.IsClass && type != typeof(string) && !typeof(IEnumerable).IsAssignableFrom(type);

    /// <summary>", did you mean X:Y?" for a setting at most two edits away (a typo), else nothing.</summary>
    private static string NearestOf(Type options, string key, string sectionPath)
    {
        var nearest = Settable(options).Select(p => (p.Name, Distance: Edits(p.Name.ToLowerInvariant(), key.ToLowerInvariant())))
            .Where(c => c.Distance <= 2).OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault();
        return nearest.Name is null ? "" : $" (did you mean {sectionPath}:{nearest.Name}?)";
    }

    /// <summary>Levenshtein distance: short names only, so the plain two-row table.</summary>
    private static int Edits(string a, string b)
    {
        var (previous, current) = (new int[b.Length + 1], new int[b.Length + 1]);
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
