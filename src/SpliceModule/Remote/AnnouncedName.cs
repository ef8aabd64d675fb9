using System;

namespace SpliceModule.Transfer;

/// <summary>
/// The name a far host gives the item it sends (-FromSession) decides where the item lands in a
/// destination directory, so it must be the name of the path that was asked for, as every copy
/// names an item (its last part): a far host free to choose it could write over any file there or
/// into any directory (a tree named .ssh received into /root). rsync checks what a sender lists
/// against what was asked for in the same way (since 3.2.5).
/// </summary>
internal static class AnnouncedName
{
    public static void Require(string announced, string askedFor)
    {
        string expected = System.IO.Path.GetFileName(askedFor.TrimEnd('/'));
        if (!string.Equals(announced, expected, StringComparison.Ordinal))
        {
            throw new RemoteCopyException("RemoteNameMismatch", $"The far host sent '{askedFor}' under the name '{announced}', not '{expected}'; nothing of it was written.") { Category = "SecurityError" };
        }
    }
}
