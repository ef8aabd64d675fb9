namespace HelpBuilder;

/// <summary>One thing wrong with one help page: the page's file name, its line (1-based, 0 when
/// the whole page is meant) and what is wrong. Printed as "Page.md:12: message".</summary>
public sealed record HelpError(string File, int Line, string Message)
{
    public override string ToString() => Line > 0 ? $"{File}:{Line}: {Message}" : $"{File}: {Message}";
}

/// <summary>Collects the errors of one page, so that a broken page reports all it can at once.</summary>
public sealed class PageErrors(string file)
{
    private readonly List<HelpError> _errors = [];

    public string File { get; } = file;

    public IReadOnlyList<HelpError> Errors => _errors;

    public bool Any => _errors.Count > 0;

    /// <param name="line">Markdig's 0-based line of the block, or -1 for the whole page.</param>
    public void Add(int line, string message) => _errors.Add(new HelpError(File, line + 1, message));
}
