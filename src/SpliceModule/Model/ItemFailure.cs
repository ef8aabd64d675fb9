using System;
using System.IO;

namespace SpliceModule;

/// <summary>
/// What the engine counts as one item's failure (a file, a destination of a fan-out, a tree
/// entry): the item is reported and the others go on. Everything else (a bug, out of memory) ends
/// the whole operation. The cmdlets' rule, SpliceCmdlet.IsItemError, builds on this one.
/// </summary>
internal static class ItemFailure
{
    public static bool IsExpected(Exception e) => e is IOException or UnauthorizedAccessException or TimeoutException;
}
