using System;
using System.IO;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// Recreates the items of a tree that have no content to copy: symbolic links (as links, with
/// the same target, as cp -R does) and FIFOs, sockets and device nodes (mknod). Each is made
/// under a temporary name and renamed into place, so whatever stood at the destination (even a
/// symbolic link) is replaced, never written through.
/// </summary>
internal static class NodeCopier
{
    public static void CopyLink(string sourcePath, in FileStatus linkStatus, string destinationPath, CopyPreserve preserve)
    {
        string target = new FileInfo(sourcePath).LinkTarget
            ?? throw new IOException($"'{sourcePath}' is no longer a symbolic link.");
        string temporaryPath = TemporaryFile.PathFor(destinationPath);
        File.CreateSymbolicLink(temporaryPath, target);
        var status = linkStatus;
        Finish(temporaryPath, destinationPath, () => MetadataCopier.ApplyToLink(status, temporaryPath, preserve));
    }

    public static void CopyNode(in FileStatus status, string sourcePath, string destinationPath, CopyPreserve preserve)
    {
        ulong device = status.Kind is FileKind.CharacterDevice or FileKind.BlockDevice ? Sys.DeviceNumber(sourcePath) : 0;
        string temporaryPath = TemporaryFile.PathFor(destinationPath);
        Sys.MakeNode(temporaryPath, (status.Mode & 0xF000) | (uint)status.Permissions, device);
        var copy = status;
        Finish(temporaryPath, destinationPath, () => MetadataCopier.ApplyToNode(copy, temporaryPath, preserve));
    }

    private static void Finish(string temporaryPath, string destinationPath, Action applyMetadata)
    {
        try
        {
            applyMetadata();
            Sys.Rename(temporaryPath, destinationPath);
        }
        catch
        {
            TemporaryFile.RemoveQuietly(temporaryPath);
            throw;
        }
    }
}
