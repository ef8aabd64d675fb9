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

    All = Mode | Timestamps | Ownership | ExtendedAttributes,
}
