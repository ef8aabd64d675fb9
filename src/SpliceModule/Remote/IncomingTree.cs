using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

// Longer than 300 lines: the receiving side's whole life of a tree (enter, files, leaves, leave,
// abandon) reads as one story, as TreeRun's does; the framing is TreeFrame's and the bytes TreeWire's.

/// <summary>
/// The receiving end of a tree: the destination resolved once as Copy-Item resolves it (an
/// existing directory receives the tree under its own name, else the tree becomes that name) and
/// its root made or opened before a byte arrives; then each frame of the stream written through
/// the same safe path as a local tree copy: directories by <see cref="DirectoryHandle.MakeOrOpenChild"/>
/// (0700 until complete, never through a link), files as a <see cref="TemporaryFile"/> in a
/// <see cref="DestinationSlot"/> committed only when all their content arrived (verified, with
/// their metadata; a file replaced keeps of its own what a local copy keeps, see
/// <see cref="ReplacedFileMetadata"/>), or written in place into a FIFO or device that stands at
/// their name (<see cref="IncomingNode"/>), as a local tree copy writes it; links and nodes by <see cref="NodeCopier"/>, further names of a hard-link group
/// by <see cref="HardLinkGroups.TryLink"/>. An item that cannot be written is an error for it (a
/// directory's whole content is then read past), and the rest goes on. However the stream ends
/// otherwise, nothing half-written stays and every directory begun gets its mode (never wider
/// than its source's).
/// </summary>
internal sealed class IncomingTree : IDisposable
{
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromMilliseconds(200);

    private readonly DestinationSlot _slot;
    private readonly RemoteTreeHeader _header;
    private readonly FileCopyRequest _request;
    private readonly ITreeCopyObserver _observer;
    private readonly List<Level> _levels = new();
    /// <summary>The first copy of each hard-link group, for its further names (null: it was not
    /// written). The sender does not say how many names a group has, so at most
    /// <see cref="HeldGroups"/> are held open (O_PATH), the oldest let go first: a far host
    /// announcing a group per file cannot take every descriptor of this process. One let go is
    /// opened again through the tree's directories when a further name comes.</summary>
    private readonly Dictionary<uint, FirstCopy?> _groups = new();
    private readonly Queue<uint> _heldGroups = new();
    internal const int HeldGroups = 1024;
    private readonly long _started = Stopwatch.GetTimestamp();
    private DirectoryHandle? _root;
    private int _skipping;
    private long _bytes;
    private int _items;
    private long _reported;

    public IncomingTree(string destination, RemoteTreeHeader header, FileCopyRequest request, ITreeCopyObserver observer)
    {
        _header = header;
        _request = request;
        _observer = observer;
        _slot = DestinationSlot.ForItem(destination, header.Name);
        try
        {
            _root = _slot.Directory.MakeOrOpenChild(_slot.Name, header.SourcePath);
        }
        catch
        {
            _slot.Dispose();
            throw;
        }
    }

    /// <summary>The tree's root on this host.</summary>
    public string Path => _slot.Path;

    public long Bytes => _bytes;

    public void ReceiveFrom(TreeWireIn wire)
    {
        var first = TreeFrame.Read(wire);
        if (first.Kind != TreeFrameKind.Enter || _root is null)
        {
            throw TreeFrame.Malformed("no directory at its start");
        }

        _levels.Add(new Level(_root, first.Status, _header.SourcePath, null, default));
        _root = null;
        Copied(_header.SourcePath, _slot.Path, null, default, isLeaf: false);
        while (true)
        {
            _request.Cancellation.ThrowIfCancellationRequested();
            var frame = TreeFrame.Read(wire);
            if (frame.Kind == TreeFrameKind.Done)
            {
                if (_levels.Count != 0)
                {
                    throw TreeFrame.Malformed("an end before its last directory was complete");
                }

                return;
            }

            if (_levels.Count == 0)
            {
                throw TreeFrame.Malformed("an item after its root directory was complete");
            }

            Take(frame, wire);
        }
    }

    private void Take(TreeFrame frame, TreeWireIn wire)
    {
        var level = _levels[^1];
        switch (frame.Kind)
        {
            case TreeFrameKind.Failure:
                _observer.ItemFailed(frame.NameText, level.Handle.Path, frame.ToException());
                return;
            case TreeFrameKind.Enter when _skipping > 0:
                _skipping++;
                return;
            case TreeFrameKind.Leave when _skipping > 0:
                _skipping--;
                return;
            case TreeFrameKind.File when _skipping > 0:
                SkipContent(wire);
                return;
            case TreeFrameKind.Enter:
                Enter(level, frame);
                return;
            case TreeFrameKind.Leave:
                _levels.RemoveAt(_levels.Count - 1);
                Finish(level);
                return;
            case TreeFrameKind.File:
                ReceiveFile(level, frame, wire);
                return;
            default:
                if (_skipping == 0)
                {
                    MakeLeaf(level, frame);
                }

                return;
        }
    }

    private void Enter(Level parent, TreeFrame frame)
    {
        var name = EntryName.From(frame.Name);
        string source = parent.SourceOf(name), destination = parent.Handle.PathOf(name);
        if (DirectoryHandle.BeyondPathMax(destination) is { } tooDeep)
        {
            _observer.ItemFailed(source, destination, tooDeep);
            _skipping = 1;
            return;
        }

        try
        {
            var made = parent.Handle.MakeOrOpenChild(name, source);
            _levels.Add(new Level(made, frame.Status, source, parent, name));
            Copied(source, destination, null, default, isLeaf: false);
        }
        catch (Exception e) when (ItemFailure.IsExpected(e))
        {
            _observer.ItemFailed(source, destination, e);
            _skipping = 1;
        }
    }

    /// <summary>A directory's contents are in: its mode and times now (so that writing inside did
    /// not undo them), then its descriptor is let go.</summary>
    private void Finish(Level level)
    {
        try
        {
            var report = TreeRun.SetDirectoryMetadata(null, new TreeEntry(EntryName.From("."), -1, level.Status), level.Handle, level.Handle.CreatedByThisCopy, _request.Preserve, level.SourcePath, level.Handle.Path);
            if (report.Failure is not null || report.PrivilegeBitsDropped)
            {
                _observer.MetadataNotice(level.Handle.Path, report);
            }
        }
        catch (Exception e) when (ItemFailure.IsExpected(e))
        {
            _observer.ItemFailed(level.SourcePath, level.Handle.Path, e);
        }
        finally
        {
            level.Handle.Dispose();
        }
    }

    private void ReceiveFile(Level level, TreeFrame frame, TreeWireIn wire)
    {
        if (frame.Group != 0 && !_groups.TryAdd(frame.Group, null))
        {
            throw TreeFrame.Malformed($"the hard-link group {frame.Group} announced a second time");
        }

        var name = EntryName.From(frame.Name);
        string source = level.SourceOf(name);
        DestinationSlot? slot = null;
        TemporaryFile? temporary = null;
        IncomingNode? node = null;
        long started = Stopwatch.GetTimestamp();
        try
        {
            slot = DestinationSlot.In(level.Handle, name);
            slot.Refuse(null, source, _request.Force);
            if (slot.IsWrittenInPlace)
            {
                node = IncomingNode.Open(slot, DataPath.WaitFor(_request.Cancellation));
                if (frame.Group != 0)
                {
                    // A hard-link group's first name on a FIFO or device: as in a local tree copy
                    // (HardLinkGroups), its next name gets a copy of its own and the rest link to that,
                    // but only this name's frame carries the content, so it is kept in a file too.
                    temporary = slot.CreateFile(readable: true);
                }
            }
            else
            {
                temporary = slot.CreateFile(readable: _request.Verify && frame.Sha256 is not null);
            }
        }
        catch (Exception e) when (ItemFailure.IsExpected(e))
        {
            _observer.ItemFailed(source, level.Handle.PathOf(name), e);
            node?.Dispose();
            slot?.Dispose();
            SkipContent(wire);
            return;
        }

        using (slot)
        using (node)
        {
            try
            {
                long written, end, length;
                CopyMethod method;
                try
                {
                    (written, end, length, method) = ReceiveContent(wire, temporary?.Handle, temporary is null ? node : null, slot.Path);
                }
                catch (ContentFailure failure)
                {
                    // The temporary file is dropped with what it had; the stream was read past the rest.
                    _observer.ItemFailed(source, slot.Path, failure.Cause);
                    return;
                }

                try
                {
                    if (node is not null)
                    {
                        // As a local copy writes it: the holes at the end as zeros, no metadata, nothing to read back.
                        if (temporary is not null)
                        {
                            method = node.CopyFrom(temporary.Handle, length, slot.Path);
                            KeepForGroup(frame, level, name, source, slot.Path, length, ref temporary);
                        }

                        node.FillTo(length);
                        _bytes += written;
                        Copied(source, slot.Path, new FileCopyResult(source, slot.Path, method, written, Stopwatch.GetElapsedTime(started)), default, isLeaf: true);
                        return;
                    }

                    Debug.Assert(temporary is not null, "a file not written in place has a temporary file");
                    if (end != length)
                    {
                        // Holes after the last segment; or segments past the final length, which only a
                        // hostile sender sends (it cannot make a file longer than it says).
                        Sys.Truncate(temporary.Handle, length, slot.Path);
                    }

                    string? hash = null;
                    if (frame.Sha256 is { } expected && _request.Verify)
                    {
                        hash = ContentVerifier.Hash(temporary.Handle, _request.Cancellation);
                        string sent = Convert.ToHexString(expected);
                        if (!string.Equals(hash, sent, StringComparison.OrdinalIgnoreCase))
                        {
                            throw new CopyVerificationException($"The copy of '{source}' to '{slot.Path}' does not match its source (SHA-256 {hash} instead of {sent}); it was left out.", sent, hash);
                        }
                    }

                    var (metadata, notKept) = ReplacedFileMetadata.Apply(slot, _request.KeepReplaced, temporary.Handle, (Status: frame.Status with { Size = length }, Copy: temporary.Handle, Request: _request, Source: source, Path: slot.Path), static (file, keep) =>
                        MetadataCopier.Apply(null, file.Status, file.Copy, file.Request.Preserve & ~keep, file.Source, file.Path));
                    if (_request.Sync)
                    {
                        Sys.Flush(temporary.Handle, slot.Path);
                    }

                    _request.Cancellation.ThrowIfCancellationRequested();
                    FileStatus? writtenFile = frame.Group != 0 ? Sys.Stat(temporary.Handle, slot.Path) : null;
                    temporary.Commit();
                    if (writtenFile is { } identity)
                    {
                        Hold(frame.Group, level, name, HardLinkGroups.OpenWritten(slot, identity, out var seen), seen);
                    }

                    _bytes += written;
                    Copied(source, slot.Path, new FileCopyResult(source, slot.Path, method, written, Stopwatch.GetElapsedTime(started)) { Sha256 = hash, Metadata = metadata, Sparse = written < length, ReplacedWarning = notKept }, metadata, isLeaf: true);
                }
                catch (Exception e) when (ItemFailure.IsExpected(e))
                {
                    _observer.ItemFailed(source, slot.Path, e);
                }
            }
            finally
            {
                // A group's kept copy is no longer the caller's (KeepForGroup).
                temporary?.Dispose();
            }
        }
    }

    /// <summary>The content of a hard-link group's first name, written in place into a FIFO or
    /// device, kept (unnamed) with the metadata a copy gets, for the group's next name to take as its
    /// own copy (linked from it, as the further names are). The file is then this group's, not the caller's.</summary>
    private void KeepForGroup(TreeFrame frame, Level level, EntryName name, string source, string path, long length, ref TemporaryFile? temporary)
    {
        var kept = temporary!;
        if (!kept.IsUnnamed)
        {
            // A file system without O_TMPFILE: a hidden name would stay in the directory as long as
            // the group, so the next names go without a copy there, as when the first copy failed.
            return;
        }

        Sys.Truncate(kept.Handle, length, path);
        var metadata = MetadataCopier.Apply(null, frame.Status with { Size = length }, kept.Handle, _request.Preserve, source, path);
        _observer.MetadataNotice(path, metadata);
        var first = new FirstCopy(level, name, Sys.Stat(kept.Handle, path)) { Unnamed = kept };
        _groups[frame.Group] = first;
        Keep(frame.Group, first, kept.Handle);
        temporary = null;
    }

    private void Hold(uint group, Level level, EntryName name, SafeFileHandle? written, in FileStatus seen)
    {
        if (written is null)
        {
            return;
        }

        var first = new FirstCopy(level, name, seen);
        _groups[group] = first;
        Keep(group, first, written);
    }

    private void Keep(uint group, FirstCopy first, SafeFileHandle open)
    {
        if (_heldGroups.Count == HeldGroups && _groups[_heldGroups.Dequeue()] is { } oldest)
        {
            oldest.LetGo();
        }

        first.Held = open;
        _heldGroups.Enqueue(group);
    }

    /// <summary>The group's first copy, open; opened again if it was let go: each directory from the
    /// tree's root without following a link, and the file only if it is still the one written (a
    /// directory given a wider mode on completion lets others rename in it).</summary>
    private SafeFileHandle? Reopened(uint group, FirstCopy first)
    {
        if (first.Held is not null || first.Unnamed is not null)
        {
            // An unnamed copy has no name to be opened again by once let go.
            return first.Held;
        }

        var names = new Stack<EntryName>();
        for (var level = first.Directory; level.Parent is not null; level = level.Parent)
        {
            names.Push(level.Name);
        }

        DirectoryHandle? opened = null;
        try
        {
            var at = _levels[0].Handle;
            foreach (var name in names)
            {
                var next = at.OpenChild(name, followSymlink: false);
                opened?.Dispose();
                at = opened = next;
            }

            string path = at.PathOf(first.Name);
            var file = Sys.OpenAt(at.Handle, first.Name, Flags.O_PATH | Flags.O_NOFOLLOW, 0, path);
            if (Sys.Stat(file, path).IsSameFile(first.Identity))
            {
                Keep(group, first, file);
                return file;
            }

            file.Dispose();
            return null;
        }
        catch (Exception e) when (ItemFailure.IsExpected(e))
        {
            return null;
        }
        finally
        {
            opened?.Dispose();
        }
    }

    /// <summary>Writes a file's segments; returns the bytes of data, where the furthest ended, the
    /// file's length and how its content was written. A content that fails, here (a write) or on the sending side (a read),
    /// is a <see cref="ContentFailure"/> once the stream has been read past the rest of it.</summary>
    private (long Written, long End, long Length, CopyMethod Method) ReceiveContent(TreeWireIn wire, SafeFileHandle? file, IncomingNode? node, string path)
    {
        long written = 0, end = 0;
        var method = CopyMethod.ReadWrite;
        while (true)
        {
            var (offset, length) = TreeFrame.ReadSegment(wire);
            if (length == TreeFrame.EndOfContent)
            {
                return (written, end, offset, method);
            }

            if (length == TreeFrame.ContentFailed)
            {
                throw new ContentFailure(0, SenderFailure(wire));
            }

            try
            {
                if (node is not null)
                {
                    wire.ReceiveContent(node, offset, length, _request.Cancellation);
                }
                else if (wire.ReceiveContent(file!, path, offset, length, _request.Cancellation) is var used && used != CopyMethod.ReadWrite)
                {
                    method = used;
                }
            }
            catch (ContentFailure failure)
            {
                wire.Skip(length - failure.Streamed);
                SkipContent(wire);
                throw;
            }

            written += length;
            if (length > 0)
            {
                end = Math.Max(end, offset + length);
            }
        }
    }

    /// <summary>Reads past a file's content nobody will keep, to the end of it.</summary>
    private static void SkipContent(TreeWireIn wire)
    {
        while (true)
        {
            var (_, length) = TreeFrame.ReadSegment(wire);
            if (length == TreeFrame.EndOfContent)
            {
                return;
            }

            if (length == TreeFrame.ContentFailed)
            {
                SenderFailure(wire);
                return;
            }

            wire.Skip(length);
        }
    }

    /// <summary>The failure frame that follows a content ended as failed, as its exception.</summary>
    private static Exception SenderFailure(TreeWireIn wire)
    {
        var frame = TreeFrame.Read(wire);
        return frame.Kind == TreeFrameKind.Failure ? frame.ToException() : throw TreeFrame.Malformed("a failed content without its failure");
    }

    private void MakeLeaf(Level level, TreeFrame frame)
    {
        var name = EntryName.From(frame.Name);
        string source = level.SourceOf(name);
        try
        {
            using var slot = DestinationSlot.In(level.Handle, name);
            switch (frame.Kind)
            {
                case TreeFrameKind.HardLink:
                    if (!_groups.TryGetValue(frame.Group, out var first) || first is null || Reopened(frame.Group, first) is not { } open || !HardLinkGroups.TryLink(open, default, source, slot, _request.Force))
                    {
                        throw new IOException($"'{slot.Path}' was not made: it is another name of a file whose first copy is not here (it failed, another file system is below, or it was moved since).");
                    }

                    Copied(source, slot.Path, null, default, isLeaf: true);
                    return;
                case TreeFrameKind.Link:
                    slot.Refuse(null, source, _request.Force);
                    byte[] target = new byte[frame.Text.Length + 1];
                    frame.Text.CopyTo(target, 0);
                    Copied(source, slot.Path, null, NodeCopier.MakeLink(target, frame.Status, slot, _request.Preserve, source), isLeaf: true);
                    return;
                default:
                    slot.Refuse(null, source, _request.Force);
                    RefuseDeviceUntrusted(frame, slot.Path);
                    Copied(source, slot.Path, null, NodeCopier.MakeNode(frame.Status, frame.Number, slot, _request.Preserve, source), isLeaf: true);
                    return;
            }
        }
        catch (Exception e) when (ItemFailure.IsExpected(e))
        {
            _observer.ItemFailed(source, level.Handle.PathOf(name), e);
        }
    }

    /// <summary>A device node comes with the number and mode the other host chose (a world-writable
    /// node of this host's disk, made by root, is the disk for everyone): it is made only when the
    /// copy trusts that host with owners too (-Preserve Ownership, as rsync makes devices only with
    /// -D, which -a implies). FIFOs and sockets carry nothing and are made as ever.</summary>
    private void RefuseDeviceUntrusted(TreeFrame frame, string destination)
    {
        if (frame.Status.Kind is FileKind.BlockDevice or FileKind.CharacterDevice && (_request.Preserve & CopyPreserve.Ownership) == 0)
        {
            throw new SpliceRefusedException(Refusal.RemoteDeviceNode, $"'{destination}' was not made: it is a device node that the other host sent, whose number and mode that host chose; -Preserve Ownership (or All) makes device nodes from another host.");
        }
    }

    private void Copied(string source, string destination, FileCopyResult? file, MetadataReport metadata, bool isLeaf)
    {
        _observer.ItemCopied(source, destination, file, metadata);
        _observer.Tally(isLeaf, file);
        if (isLeaf)
        {
            _items++;
        }

        long now = Stopwatch.GetTimestamp();
        if (Stopwatch.GetElapsedTime(_reported, now) >= ProgressEvery)
        {
            _reported = now;
            _observer.Progress(_bytes, _items, destination);
        }
    }

    /// <summary>Directories begun and not complete (the stream ended early, Ctrl+C) get their modes
    /// all the same, deepest first.</summary>
    public void Dispose()
    {
        for (int i = _levels.Count - 1; i >= 0; i--)
        {
            try
            {
                TreeRun.SetDirectoryMetadata(null, new TreeEntry(EntryName.From("."), -1, _levels[i].Status), _levels[i].Handle, _levels[i].Handle.CreatedByThisCopy, _request.Preserve & (CopyPreserve.Mode | CopyPreserve.Timestamps), _levels[i].SourcePath, _levels[i].Handle.Path);
            }
            catch (Exception e) when (ItemFailure.IsExpected(e))
            {
                // Left private (0700): never wider than its source. The copy ends with its own error.
            }
            finally
            {
                _levels[i].Handle.Dispose();
            }
        }

        _levels.Clear();
        foreach (var first in _groups.Values)
        {
            first?.LetGo();
        }

        _root?.Dispose();
        _slot.Dispose();
    }

    /// <summary>A directory begun; <paramref name="Parent"/> and <paramref name="Name"/> lead back to
    /// the root (whose Parent is null) after its descriptor is let go.</summary>
    private sealed record Level(DirectoryHandle Handle, FileStatus Status, string SourcePath, Level? Parent, EntryName Name)
    {
        public string SourceOf(EntryName name) => name.In(SourcePath);
    }

    /// <summary>Where a hard-link group's first copy was written, and which file it is.</summary>
    private sealed class FirstCopy(Level directory, EntryName name, FileStatus identity)
    {
        public Level Directory { get; } = directory;

        public EntryName Name { get; } = name;

        public FileStatus Identity { get; } = identity;

        public SafeFileHandle? Held { get; set; }

        /// <summary>The copy kept for a group whose first name was written in place (<see cref="KeepForGroup"/>):
        /// no name of the tree is this file, so its handle is <see cref="Held"/> and it goes when let go.</summary>
        public TemporaryFile? Unnamed { get; init; }

        public void LetGo()
        {
            Held?.Dispose();
            Held = null;
            Unnamed?.Dispose();
        }
    }
}
