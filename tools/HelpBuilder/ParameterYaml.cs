using System.Globalization;

namespace HelpBuilder;

/// <summary>Reads the ```yaml block of a parameter (Type, Parameter Sets, Aliases, Accepted values,
/// Required, Position, Default value, Accept pipeline input, Accept wildcard characters) with
/// YamlDotNet and checks each value.</summary>
public static class ParameterYaml
{
    private static readonly string[] RequiredKeys = ["Type", "Parameter Sets", "Required", "Position", "Accept pipeline input"];

    private static readonly HashSet<string> KnownKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        "Type", "Parameter Sets", "Aliases", "Accepted values", "Required", "Position", "Default value",
        "Accept pipeline input", "Accept wildcard characters",
        // Written by some platyPS versions; it means nothing to Get-Help.
        "Applicable",
    };

    public static ParameterEntry? Read(TextBlock yaml, string parameter, PageErrors errors)
    {
        var what = $"yaml block of -{parameter}";
        var values = new Dictionary<string, (string Value, int Line)>(StringComparer.OrdinalIgnoreCase);
        var before = errors.Errors.Count;
        foreach (var (key, value, line) in YamlMap.Read(yaml.Text, yaml.Line + 1, what, errors))
        {
            if (!KnownKeys.Contains(key)) errors.Add(line, $"the {what} has an unknown key '{key}' (known: {string.Join(", ", KnownKeys)}).");
            values[key] = (value, line);
        }
        if (errors.Errors.Count > before) return null;

        foreach (var key in RequiredKeys)
        {
            if (!values.TryGetValue(key, out var entry) || entry.Value.Length == 0) errors.Add(yaml.Line, $"the {what} has no '{key}'.");
        }
        if (errors.Errors.Count > before) return null;

        string Get(string key) => values.TryGetValue(key, out var entry) ? entry.Value : "";
        int LineOf(string key) => values.TryGetValue(key, out var entry) ? entry.Line : yaml.Line;

        var required = Boolean("Required", Get("Required"), LineOf("Required"));
        var globbing = values.ContainsKey("Accept wildcard characters") && Get("Accept wildcard characters").Length > 0
            ? Boolean("Accept wildcard characters", Get("Accept wildcard characters"), LineOf("Accept wildcard characters"))
            : false;

        var position = Get("Position");
        if (!position.Equals("Named", StringComparison.OrdinalIgnoreCase) &&
            !int.TryParse(position, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            errors.Add(LineOf("Position"), $"the {what} says 'Position: {position}'; a position is Named or a number from 0.");
        }
        var pipeline = Get("Accept pipeline input");
        if (!pipeline.StartsWith("True", StringComparison.OrdinalIgnoreCase) && !pipeline.StartsWith("False", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add(LineOf("Accept pipeline input"), $"the {what} says 'Accept pipeline input: {pipeline}'; it starts with True (ByValue, ByPropertyName) or False.");
        }
        var sets = List(Get("Parameter Sets"));
        if (sets.Count == 0) errors.Add(LineOf("Parameter Sets"), $"the {what} names no parameter set; write (All) for every set.");
        if (errors.Errors.Count > before) return null;

        var defaultValue = Get("Default value");
        return new ParameterEntry(
            Type: Get("Type"),
            ParameterSets: sets,
            Aliases: List(Get("Aliases")),
            AcceptedValues: List(Get("Accepted values")),
            Required: required,
            Position: position,
            DefaultValue: defaultValue.Length > 0 ? defaultValue : "None",
            PipelineInput: pipeline,
            Globbing: globbing);

        bool Boolean(string key, string value, int line)
        {
            if (bool.TryParse(value, out var result)) return result;
            errors.Add(line, $"the {what} says '{key}: {value}'; it is True or False.");
            return false;
        }
    }

    /// <summary>"a, b" as a list; empty and "None" are no entries.</summary>
    private static List<string> List(string value) =>
        value.Length == 0 || value.Equals("None", StringComparison.OrdinalIgnoreCase)
            ? []
            : value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
}
