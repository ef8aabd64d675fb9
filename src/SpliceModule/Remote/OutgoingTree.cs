using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// The sending end of a tree: walked once (<see cref="TreeWalker"/>, through held descriptors)
/// before anything is sent, then sent as one stream of <see cref="TreeFrame"/>s, depth first,
/// each file opened relative to its held directory and checked to be the one the walk saw
/// (<see cref="SourceFile.OpenInTree"/>). Content goes in segments of data only: a sparse file's
/// holes (SEEK_DATA/SEEK_HOLE) are not sent. An item that cannot be read here (an unreadable file
/// or directory, one replaced since the walk, one whose content fails to read midway) is a
/// failure frame naming it, and the rest goes on. A file whose size is not its length (/proc, /sys)
/// goes from a <see cref="SourceSnapshot"/>, announced with the length it had. With -Preserve Links a file's further names in the tree are sent as names of its group.
/// </summary>
internal sealed class OutgoingTree : IDisposable
{
    private readonly TreePlan _plan;
    private readonly bool _verify;
    /// <summary>-Preserve Links: the files more than one name of the tree shares. Only they are
    /// sent as groups, as the receiving end holds each group's first copy open.</summary>
    private readonly Dictionary<(ulong Device, ulong Inode), int>? _shared;
    private readonly Dictionary<(ulong Device, ulong Inode), uint> _groups = new();
    private readonly Dictionary<string, CopyMethod>? _methods;
    private readonly TrueSizeDevices _trueSizes = new();
    private long _sent;

    /// <param name="walk">What to take (links followed or not, -Filter and -Exclude); always recursive.</param>
    /// <param name="keepMethods">Remember how each file went, for <see cref="MethodOf"/> (-PassThru).</param>
    public OutgoingTree(string root, TreeWalkOptions walk, CopyPreserve preserve, bool verify, bool keepMethods = false)
    {
        _plan = TreeWalker.Walk(root, walk with { Recurse = true, KeepContainers = true });
        _verify = verify;
        _shared = (preserve & CopyPreserve.Links) != 0 ? HardLinkGroups.SharedFiles(_plan) : null;
        _methods = keepMethods ? new Dictionary<string, CopyMethod>(StringComparer.Ordinal) : null;
    }

    /// <summary>How the file at <paramref name="sourcePath"/> was sent by the last <see cref="SendTo"/>
    /// (with keepMethods): by sendfile, or read into the stream's buffer; null for what had no content sent.</summary>
    public CopyMethod? MethodOf(string sourcePath) => _methods is not null && _methods.TryGetValue(sourcePath, out var method) ? method : null;

    /// <summary>What the receiving end learns over the session before the stream.</summary>
    public RemoteTreeHeader Header => new(_plan.RootPath, _plan.Entries[0].Name.ToString(), _plan.FileCount, _plan.TotalBytes);

    /// <summary>Sends the whole tree and ends the stream; <paramref name="progress"/> hears the
    /// content bytes sent so far, after each file.</summary>
    public void SendTo(TreeWireOut wire, CancellationToken cancellation, Action<long>? progress)
    {
        _groups.Clear();
        _methods?.Clear();
        _sent = 0;
        SendDirectory(wire, 0, _plan.Root, cancellation, progress);
        new TreeFrame(TreeFrameKind.Done).Write(wire);
        wire.End();
    }

    private void SendDirectory(TreeWireOut wire, int index, DirectoryHandle directory, CancellationToken cancellation, Action<long>? progress)
    {
        var entry = _plan.Entries[index];
        new TreeFrame(TreeFrameKind.Enter) { Name = entry.Name.Bytes.ToArray(), Status = entry.Status }.Write(wire);
        for (int child = entry.FirstChild; child < entry.FirstChild + entry.ChildCount; child++)
        {
            cancellation.ThrowIfCancellationRequested();
            var item = _plan.Entries[child];
            string path = directory.PathOf(item.Name);
            if (item.Problem is not null)
            {
                TreeFrame.ForFailure(path, item.Problem).Write(wire);
                continue;
            }

            if (item.IsDirectory)
            {
                DirectoryHandle below;
                try
                {
                    below = directory.OpenChild(item.Name, _plan.FollowsSymlinks, item.Status);
                }
                catch (Exception e) when (ItemFailure.IsExpected(e))
                {
                    TreeFrame.ForFailure(path, e).Write(wire);
                    continue;
                }

                using (below)
                {
                    SendDirectory(wire, child, below, cancellation, progress);
                }

                continue;
            }

            var frame = ItemFrame(directory, item, path, cancellation);
            frame.Frame.Write(wire);
            if (frame.Content is { } content)
            {
                using (content)
                {
                    SendContent(wire, content, frame.Frame.Status, path, cancellation);
                }

                progress?.Invoke(_sent);
            }
        }

        new TreeFrame(TreeFrameKind.Leave).Write(wire);
    }

    /// <summary>The frame for a leaf and, for a file, its open source; what cannot be read here
    /// becomes a failure frame instead (and no content).</summary>
    private (TreeFrame Frame, SafeFileHandle? Content) ItemFrame(DirectoryHandle directory, TreeEntry item, string path, CancellationToken cancellation)
    {
        var name = item.Name.Bytes.ToArray();
        try
        {
            switch (item.Status.Kind)
            {
                case FileKind.File:
                    uint group = 0;
                    var key = (item.Status.Device, item.Status.Inode);
                    if (_shared is not null && _shared.ContainsKey(key))
                    {
                        if (_groups.TryGetValue(key, out uint known))
                        {
                            return (new TreeFrame(TreeFrameKind.HardLink) { Name = name, Group = known }, null);
                        }

                        _groups[key] = group = (uint)_groups.Count + 1;
                    }

                    var source = SourceFile.OpenInTree(directory, item.Name, item.Status, _plan.FollowsSymlinks);
                    try
                    {
                        // A /proc or /sys file goes as what one read of it to its end gave, of that length.
                        var status = item.Status;
                        SourceSnapshot.TakeIfNeeded(_trueSizes.For(directory, status, source, path), ref source, ref status, path, cancellation);

                        byte[]? hash = _verify ? Convert.FromHexString(ContentVerifier.Hash(source, cancellation)) : null;
                        return (new TreeFrame(TreeFrameKind.File) { Name = name, Status = status, Group = group, Sha256 = hash }, source);
                    }
                    catch
                    {
                        source.Dispose();
                        throw;
                    }

                case FileKind.SymbolicLink:
                    byte[] target = Sys.ReadLinkAt(directory.Handle, item.Name, path);
                    return (new TreeFrame(TreeFrameKind.Link) { Name = name, Status = item.Status, Text = target[..^1] }, null);
                default:
                    ulong device = 0;
                    if (item.Status.Kind is FileKind.CharacterDevice or FileKind.BlockDevice)
                    {
                        using var node = Sys.OpenAt(directory.Handle, item.Name, Flags.O_PATH | Flags.O_NOFOLLOW, 0, path);
                        device = Sys.DeviceNumber(node, path);
                    }

                    return (new TreeFrame(TreeFrameKind.Node) { Name = name, Status = item.Status, Number = device }, null);
            }
        }
        catch (Exception e) when (ItemFailure.IsExpected(e))
        {
            return (TreeFrame.ForFailure(path, e), null);
        }
    }

    /// <summary>The file's data segments, then the end of its content with its length. A file
    /// that shrank while it was sent is padded to the segment it announced and ends at what it had;
    /// one that fails to read is padded likewise, ended as failed and followed by its failure.</summary>
    private void SendContent(TreeWireOut wire, SafeFileHandle source, in FileStatus status, string path, CancellationToken cancellation)
    {
        long size = status.Size, length = size;
        var method = CopyMethod.ReadWrite;
        try
        {
            if (status.IsSparse)
            {
                long position = 0;
                while (position < size)
                {
                    var (start, end) = NextData(source, path, position, size);
                    if (start >= size || !SendSegment(wire, source, path, start, end - start, cancellation, ref length, ref method))
                    {
                        break;
                    }

                    position = end;
                }
            }
            else if (size > 0)
            {
                SendSegment(wire, source, path, 0, size, cancellation, ref length, ref method);
            }
        }
        catch (ContentFailure failure)
        {
            TreeFrame.WriteSegment(wire, 0, TreeFrame.ContentFailed);
            TreeFrame.ForFailure(path, failure.Cause).Write(wire);
            return;
        }

        TreeFrame.WriteSegment(wire, length, TreeFrame.EndOfContent);
        if (_methods is not null)
        {
            _methods[path] = method;
        }
    }

    /// <summary>The next data extent from <paramref name="position"/> (SEEK_DATA, SEEK_HOLE); its
    /// start is <paramref name="size"/> or more when only a hole is left.</summary>
    private static (long Start, long End) NextData(SafeFileHandle source, string path, long position, long size)
    {
        try
        {
            long start = Sys.Seek(source, position, Flags.SEEK_DATA, path);
            if (start < 0 || start >= size)
            {
                return (size, size);
            }

            long end = Sys.Seek(source, start, Flags.SEEK_HOLE, path);
            return (start, end < 0 || end > size ? size : end);
        }
        catch (Exception e) when (ItemFailure.IsExpected(e))
        {
            throw new ContentFailure(0, e);
        }
    }

    private bool SendSegment(TreeWireOut wire, SafeFileHandle source, string path, long offset, long count, CancellationToken cancellation, ref long length, ref CopyMethod method)
    {
        TreeFrame.WriteSegment(wire, offset, count);
        long had;
        try
        {
            (had, var used) = wire.SendContent(source, path, offset, count, cancellation);
            if (used != CopyMethod.ReadWrite)
            {
                method = used;
            }
        }
        catch (ContentFailure failure)
        {
            // The segment as announced, so that the stream stays framed; the receiver throws it away.
            _sent += failure.Streamed;
            wire.Pad(count - failure.Streamed);
            throw;
        }

        _sent += had;
        if (had == count)
        {
            return true;
        }

        wire.Pad(count - had);
        length = offset + had;
        return false;
    }

    public void Dispose() => _plan.Dispose();
}

/// <summary>What the receiving end of a tree learns before its stream: where it comes from, its
/// name (the directory made on the receiving side, or its name inside the destination), and its
/// totals for progress.</summary>
internal sealed record RemoteTreeHeader(string SourcePath, string Name, int Files, long Bytes)
{
    public string ToJson() => System.Text.Json.JsonSerializer.Serialize(this);

    public static RemoteTreeHeader FromJson(string json)
    {
        var header = System.Text.Json.JsonSerializer.Deserialize<RemoteTreeHeader>(json) ?? throw new ArgumentException("An empty tree header.");
        return header.Name.Length == 0 || header.Name is "." or ".." || header.Name.Contains('/')
            ? throw new ArgumentException($"The tree header names '{header.Name}', which no copy sends.")
            : header;
    }
}
