using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace HelpBuilder;

/// <summary>A flat YAML mapping of scalars ("Key: value" lines), as the front matter and the
/// parameter blocks of the platyPS schema are. Values come back as written; an empty value is "".</summary>
public static class YamlMap
{
    /// <param name="firstLine">Markdig's 0-based line of the yaml text's first line.</param>
    public static List<(string Key, string Value, int Line)> Read(string yaml, int firstLine, string what, PageErrors errors)
    {
        var entries = new List<(string, string, int)>();
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            // YamlDotNet's lines are 1-based within the yaml text.
            var line = firstLine + (int)Math.Max(0, e.Start.Line - 1);
            var reason = e.InnerException?.Message ?? e.Message;
            errors.Add(line, $"the {what} is not valid YAML ({reason}); quote a value that starts with [, {{, *, & or contains ': '.");
            return entries;
        }
        if (stream.Documents.Count == 0) return entries;
        if (stream.Documents[0].RootNode is not YamlMappingNode map)
        {
            errors.Add(firstLine, $"the {what} is not a list of 'Key: value' lines.");
            return entries;
        }
        foreach (var (keyNode, valueNode) in map.Children)
        {
            var line = firstLine + (int)keyNode.Start.Line - 1;
            if (keyNode is not YamlScalarNode { Value: { } key } || valueNode is not YamlScalarNode scalar)
            {
                errors.Add(line, $"the {what} has an entry that is not 'Key: value' ({keyNode}).");
                continue;
            }
            entries.Add((key, (scalar.Value ?? "").Trim(), line));
        }
        return entries;
    }
}
