using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using SpliceModule.Transfer;

namespace SpliceModule.Commands;

/// <summary>
/// Turns what users type into file system paths the way Copy-Item does: relative to
/// PowerShell's location, through any FileSystem drive, wildcards only for -Path.
/// </summary>
internal sealed class PathResolver
{
    private readonly PSCmdlet _cmdlet;

    public PathResolver(PSCmdlet cmdlet) => _cmdlet = cmdlet;

    /// <summary>Existing items for each path. A literal path (or a -Path without wildcards) that is
    /// missing is an ItemNotFoundException; a wildcard that matches nothing yields nothing. With
    /// <paramref name="includeHidden"/> (Copy-Item's -Force) a wildcard matches hidden (dot) items too.</summary>
    public IReadOnlyList<string> ResolveExisting(string path, bool literal, bool includeHidden = false)
    {
        DescriptorOpener.RequireNoNul(path);
        if (!literal && includeHidden && WildcardPattern.ContainsWildcardCharacters(path))
        {
            return ResolveIncludingHidden(path);
        }

        ProviderInfo provider;
        if (literal)
        {
            string resolved = _cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out provider, out _);
            RequireFileSystem(provider, path);
            if (!File.Exists(resolved) && !Directory.Exists(resolved) && !IsSpecialFile(resolved))
            {
                throw new ItemNotFoundException($"Cannot find path '{path}' because it does not exist.");
            }

            return new[] { resolved };
        }

        var paths = _cmdlet.SessionState.Path.GetResolvedProviderPathFromPSPath(path, out provider);
        RequireFileSystem(provider, path);
        return paths;
    }

    /// <summary>What Get-Item -Force makes of a wildcard: the path API leaves hidden items out, the
    /// provider's item lookup with force includes them.</summary>
    private IReadOnlyList<string> ResolveIncludingHidden(string path)
    {
        _cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out var provider, out _);
        RequireFileSystem(provider, path);
        var found = new List<string>();
        try
        {
            foreach (var item in _cmdlet.InvokeProvider.Item.Get(new[] { path }, force: true, literalPath: false))
            {
                if (item.BaseObject is FileSystemInfo info)
                {
                    found.Add(info.FullName);
                }
            }
        }
        catch (ItemNotFoundException)
        {
            // A wildcard that matches nothing is silent, as without -Force.
        }

        return found;
    }

    /// <summary>A path that need not exist yet (a destination).</summary>
    public string ResolveNew(string path)
    {
        string resolved = _cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out var provider, out _);
        RequireFileSystem(provider, path);
        DescriptorOpener.RequireNoNul(resolved);
        return resolved;
    }

    public string CurrentDirectory => _cmdlet.SessionState.Path.CurrentFileSystemLocation.ProviderPath;

    /// <summary>FIFOs, sockets and devices, which File.Exists also reports, and dangling symlinks, which it does not.</summary>
    private static bool IsSpecialFile(string path)
    {
        try
        {
            return (File.GetAttributes(path) & FileAttributes.ReparsePoint) != 0 || new FileInfo(path).Exists;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static void RequireFileSystem(ProviderInfo provider, string path)
    {
        if (!string.Equals(provider.Name, "FileSystem", StringComparison.OrdinalIgnoreCase))
        {
            throw new NotFileSystemPathException($"'{path}' is on the {provider.Name} provider; SpliceModule works with FileSystem paths only.");
        }
    }
}

/// <summary>A path on a provider other than FileSystem (Env:, HKLM:, Variable:).</summary>
internal sealed class NotFileSystemPathException : ArgumentException
{
    public NotFileSystemPathException(string message)
        : base(message)
    {
    }
}
