namespace HelpBuilder;

/// <summary>One cmdlet page in the platyPS schema, read and checked: everything the MAML writer
/// needs, in plain text. Serialized as JSON by --model for the help tests.</summary>
public sealed record CommandPage(
    string File,
    string Name,
    string HelpFile,
    string ModuleName,
    string Schema,
    string? OnlineVersion,
    string Synopsis,
    IReadOnlyList<string> Description,
    IReadOnlyList<SyntaxSet> Syntax,
    IReadOnlyList<Parameter> Parameters,
    IReadOnlyList<Example> Examples,
    IReadOnlyList<TypeEntry> Inputs,
    IReadOnlyList<TypeEntry> Outputs,
    IReadOnlyList<string> Notes,
    IReadOnlyList<RelatedLink> Links);

/// <summary>A "### SetName" under SYNTAX: its parameters in the order the syntax line names them.</summary>
public sealed record SyntaxSet(string Name, bool IsDefault, IReadOnlyList<string> Parameters, string Text);

/// <summary>A "### -Name" under PARAMETERS: its description and one entry per yaml block.</summary>
public sealed record Parameter(string Name, IReadOnlyList<string> Description, IReadOnlyList<ParameterEntry> Sets);

/// <summary>One yaml block of a parameter: how it behaves in the parameter sets it lists.</summary>
public sealed record ParameterEntry(
    string Type,
    IReadOnlyList<string> ParameterSets,
    IReadOnlyList<string> Aliases,
    IReadOnlyList<string> AcceptedValues,
    bool Required,
    string Position,
    string DefaultValue,
    string PipelineInput,
    bool Globbing)
{
    public bool IsSwitch => Type.Equals("SwitchParameter", StringComparison.OrdinalIgnoreCase) || Type.Equals("Switch", StringComparison.OrdinalIgnoreCase);

    public bool AppliesTo(string set) =>
        ParameterSets.Any(s => s.Equals(set, StringComparison.OrdinalIgnoreCase) || s.Equals("(All)", StringComparison.OrdinalIgnoreCase));
}

/// <summary>A "### Example" under EXAMPLES: its PowerShell fences as code, the rest (output fences,
/// prose) as remarks.</summary>
public sealed record Example(string Title, string Code, IReadOnlyList<string> Remarks);

/// <summary>A "### TypeName" under INPUTS or OUTPUTS.</summary>
public sealed record TypeEntry(string TypeName, IReadOnlyList<string> Description);

/// <summary>A link under RELATED LINKS; the address is empty for a sibling page, which Get-Help
/// finds by name.</summary>
public sealed record RelatedLink(string Text, string Uri);

/// <summary>An about topic: its name and its blocks after the "# about_Name" heading.</summary>
public sealed record AboutTopic(string File, string Name, IReadOnlyList<TextBlock> Blocks);
