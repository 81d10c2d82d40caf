using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace Engine.Host.Configuration;

/// <summary>
/// Binds a section to its options class and validates its data annotations, gathering every problem with the
/// setting's full name (values are never echoed: some are secrets).
/// </summary>
public static class OptionsBinder
{
    public static T Bind<T>(IConfiguration configuration, string section, List<string> problems) where T : new()
    {
        var options = new T();
        problems.AddRange(UnknownSettings.In(configuration.GetSection(section), typeof(T)));
        try
        {
            configuration.GetSection(section).Bind(options);
        }
        catch (InvalidOperationException e)
        {
            // "Failed to convert configuration value 'abc' at 'Cluster:Port' to type 'System.Int32'.": named without its value.
            var where = Regex.Match(e.Message, "at '(?<key>[^']+)' to type '(?:System\\.)?(?<type>[^']+)'");
            problems.Add(where.Success ? $"{where.Groups["key"].Value}: expected a value of type {where.Groups["type"].Value}." : $"{section}: {e.Message}");
            return options;
        }
        var results = new List<ValidationResult>();
        var context = new ValidationContext(options);
        // The validator skips an object's own Validate once an attribute fails: run it anyway, so start-up names every
        // problem at once rather than one per restart.
        if (!Validator.TryValidateObject(options, context, results, validateAllProperties: true) && options is IValidatableObject own)
            results.AddRange(own.Validate(context).Where(r => !results.Any(seen => seen.ErrorMessage == r.ErrorMessage)).ToList());
        problems.AddRange(results.Select(r => Describe(section, r)));
        return options;
    }

    private static string Describe(string section, ValidationResult result)
    {
        var member = result.MemberNames.FirstOrDefault() ?? "?";
        var setting = $"{section}:{member}";
        var message = result.ErrorMessage ?? "invalid";
        // Our own messages already start with the setting's name; the framework's defaults ("The field X ...") do not.
        return message.StartsWith(setting, StringComparison.Ordinal) ? message : $"{setting}: {message}";
    }
}
