using System;

namespace SpliceModule;

/// <summary>What Copy-SpliceItem carries over besides the content (-Preserve).</summary>
[Flags]
public enum CopyPreserve
{
    None = 0,

    /// <summary>Permission bits, including setuid, setgid and sticky.</summary>
    Mode = 1,

    /// <summary>Access and modification times, to the nanosecond.</summary>
    Timestamps = 2,

    /// <summary>Owner and group (needs root, or CAP_CHOWN, for other users' files).</summary>
    Ownership = 4,

    /// <summary>Extended attributes (user.*, and security.* or trusted.* where permitted).</summary>
    ExtendedAttributes = 8,

    /// <summary>Files hard-linked to each other inside a tree stay hard-linked in the copy, and a
    /// symbolic link named by -Path is copied as a link (cp's --preserve=links and --no-dereference).</summary>
    Links = 16,

    /// <summary>Everything, as cp -a: what the user may not keep (another user's owner, trusted.*
    /// attributes) is left off without a word, as cp -a leaves it.</summary>
    All = Mode | Timestamps | Ownership | ExtendedAttributes | Links,
}
